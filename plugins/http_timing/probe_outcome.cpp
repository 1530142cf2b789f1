#include "probe_outcome.hpp"

namespace streamswarm::http_timing {

std::string TlsInfo::verifyFailure(const std::string& host) const {
  if (!chainVerified) {
    const auto what = verifyError.empty() ? std::string("certificate chain not trusted") : verifyError;
    return verifyErrorDepth > 0 ? what + " (certificate " + std::to_string(verifyErrorDepth) + " in the chain)" : what;
  }
  if (!hostnameVerified) return "certificate is not valid for '" + host + "' (hostname mismatch)";
  return {};
}

}  // namespace streamswarm::http_timing
