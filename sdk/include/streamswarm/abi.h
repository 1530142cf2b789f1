/*
 * StreamSwarm plugin ABI, version 1 (minor 1 appended ss_plugin_descriptor.flags).
 *
 * This is the binary boundary between the agent and a probe plugin. It is plain C so that a plugin
 * built with another compiler or C++ standard library (clang++/libc++, say) loads into the agent.
 * Rules that keep it stable:
 *   - within one ABI major, fields are only ever appended to a struct; a reader checks struct_size
 *     before touching a field that a newer minor added;
 *   - no exception, C++ object, smart pointer or owned string crosses it: strings are borrowed
 *     NUL-terminated UTF-8 that live at least as long as the call they are passed to;
 *   - every entry point returns a status and writes its reason into a caller-owned buffer.
 * Plugin authors normally write against the header-only C++ API in <streamswarm/plugin.hpp>.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SS_ABI_MAJOR 1u
#define SS_ABI_MINOR 1u

/* The manifest is a constant in its own ELF section, so the agent can list a plugin and check its
 * ABI by reading the file, without running any of its code. */
#define SS_MANIFEST_SECTION "ssmanif"
#define SS_MANIFEST_MAGIC_INIT \
  { 'S', 'S', 'W', 'P', 'L', 'U', 'G', '1' }
#define SS_MANIFEST_MAGIC_SIZE 8
/* Name of the exported Boost.DLL alias (in section SS_ENTRY_SECTION) of the entry function. */
#define SS_ENTRY_ALIAS "streamswarm_plugin_v1"
#define SS_ENTRY_SECTION "sswarm"

#define SS_NAME_MAX 64
#define SS_VERSION_MAX 32
#define SS_DESCRIPTION_MAX 160

/* Unlike every other struct here, the manifest's layout is frozen for all ABI majors: any agent
 * can then name a plugin it refuses and say which versions differ. */
typedef struct ss_manifest {
  char magic[SS_MANIFEST_MAGIC_SIZE];
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t struct_size; /* sizeof(ss_manifest) as the plugin was built */
  uint32_t reserved;
  char name[SS_NAME_MAX];               /* [a-z0-9_]+, unique per agent */
  char version[SS_VERSION_MAX];         /* the plugin's own version, e.g. "1.2.0" */
  char description[SS_DESCRIPTION_MAX]; /* one line */
} ss_manifest;

typedef enum ss_status {
  SS_OK = 0,
  SS_ERROR = 1,        /* the call failed; the error buffer says why */
  SS_CONFIG_ERROR = 2, /* create() rejected an option; the error buffer names it */
  SS_CANCELLED = 3     /* run() stopped early because the host cancelled it */
} ss_status;

typedef enum ss_value_type {
  SS_TYPE_STRING = 1,
  SS_TYPE_INT = 2, /* 64-bit signed decimal */
  SS_TYPE_DOUBLE = 3,
  SS_TYPE_BOOL = 4,     /* true/false, yes/no, on/off, 1/0 */
  SS_TYPE_DURATION = 5, /* a number with unit ns, us, ms, s, m, h; normalised to "<n>ns" */
  SS_TYPE_LIST = 6,     /* comma-separated strings */
  SS_TYPE_ENUM = 7      /* one of `choices` */
} ss_value_type;

/* One configuration key a plugin accepts. A NULL default_value makes the key required. */
typedef struct ss_config_key {
  const char* name;
  uint32_t type; /* ss_value_type */
  const char* default_value;
  const char* doc;
  double min_value; /* numeric and duration (in seconds) bounds; ignored when min > max */
  double max_value;
  const char* choices; /* SS_TYPE_ENUM: '|'-separated allowed values; NULL otherwise */
} ss_config_key;

typedef enum ss_metric_kind {
  SS_METRIC_GAUGE = 1,   /* a level sampled at the result's time */
  SS_METRIC_COUNTER = 2, /* a count over the run (packets sent, errors seen) */
  SS_METRIC_RATE = 3     /* a per-second rate over the interval since the previous run */
} ss_metric_kind;

/* One metric a plugin may emit. A name segment "{label}" stands for one dot-free label value:
 * "disk.{device}.read_bytes_per_s" declares "disk.sda.read_bytes_per_s". */
typedef struct ss_metric_def {
  const char* name;
  const char* unit; /* "percent", "bytes", "bytes/s", "ms", "count", "1/s", "celsius", "MHz" ... */
  uint32_t kind;    /* ss_metric_kind */
  const char* doc;
} ss_metric_def;

/* An option as the host validated and normalised it (defaults filled in, durations in ns). */
typedef struct ss_option {
  const char* key;
  const char* value;
} ss_option;

typedef struct ss_metric_value {
  const char* name;
  double value;
} ss_metric_value;

/* One result: the measurement of one target in one run. */
typedef struct ss_result {
  uint32_t struct_size;
  const char* target;   /* NULL when the probe has no target (host metrics) */
  int64_t timestamp_ns; /* UTC nanoseconds since the Unix epoch; 0 lets the host stamp it */
  const ss_metric_value* metrics;
  size_t metric_count;
  const char* document_json; /* one JSON object (the plugin's result document), or NULL */
  const char* error;         /* why the measurement failed, or NULL */
} ss_result;

typedef enum ss_log_level { SS_LOG_DEBUG = 0, SS_LOG_INFO = 1, SS_LOG_WARNING = 2, SS_LOG_ERROR = 3 } ss_log_level;

/* What the host offers a plugin. All time comes from here so tests can drive a fake clock. */
typedef struct ss_host {
  uint32_t struct_size;
  void* ctx;
  void (*emit)(void* ctx, const ss_result* result);
  void (*log)(void* ctx, uint32_t level, const char* message);
  int64_t (*now_ns)(void* ctx);       /* UTC wall clock, ns since the epoch */
  int64_t (*monotonic_ns)(void* ctx); /* for intervals */
  /* Sleeps up to ns; returns nonzero when the run was cancelled (then it returns early). */
  int (*sleep_ns)(void* ctx, int64_t ns);
  int (*cancelled)(void* ctx);
} ss_host;

/* Bits of ss_plugin_descriptor.flags. */
typedef enum ss_plugin_flag {
  /* A run depends on nothing that earlier runs of the instance left behind (no comparison with the
   * previous run, no rate since it): the agent may destroy an idle instance, stop its plugin host
   * and create it again before the next run. */
  SS_PLUGIN_INDEPENDENT_RUNS = 1u
} ss_plugin_flag;

typedef struct ss_plugin_descriptor {
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t struct_size;
  uint32_t document_schema_version; /* version of the result document; 0: no document */
  const char* name;
  const char* version;
  const char* description;
  const ss_config_key* config_keys;
  size_t config_key_count;
  const ss_metric_def* metrics;
  size_t metric_count;
  /* Makes an instance from validated options. The host passes a host whose emit is not used. */
  int (*create)(const ss_option* options, size_t option_count, const ss_host* host, void** instance, char* error,
                size_t error_size);
  /* One measurement run: emits results through host->emit. May be called again only after it
   * returned; different instances may run at the same time. */
  int (*run)(void* instance, const ss_host* host, char* error, size_t error_size);
  void (*destroy)(void* instance);
  /* ABI 1.1: ss_plugin_flag bits; a 1.0 descriptor (no such field) has none. */
  uint32_t flags;
} ss_plugin_descriptor;

typedef const ss_plugin_descriptor* (*ss_entry_fn)(void);

#ifdef __cplusplus
}
#endif
