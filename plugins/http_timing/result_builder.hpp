// Turns a ProbeOutcome into the agent's Result: metrics (declared in metricDefs()), the result
// document (schema kDocumentSchema) and the error text "<phase>: <reason>".
#pragma once

#include "probe_outcome.hpp"

#include <streamswarm/plugin.hpp>

#include <cstdint>
#include <span>

namespace streamswarm::http_timing {

// Version 1 of the result document; README.md describes it.
inline constexpr std::uint32_t kDocumentSchema = 1;

std::span<const ss_metric_def> metricDefs();

Result buildResult(const ProbeOutcome& outcome);

// "TLSv1.3" -> 1.3; empty when the text is not of that form.
std::optional<double> tlsVersionNumber(std::string_view version);

}  // namespace streamswarm::http_timing
