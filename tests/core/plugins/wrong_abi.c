/* A plugin from a future ABI major, written against the C header alone: the agent must refuse it
 * by reading its manifest, without running any of its code. */
#include <streamswarm/abi.h>

#include <stdlib.h>

__attribute__((section(SS_MANIFEST_SECTION), used, visibility("default"))) const ss_manifest streamswarm_manifest = {
    SS_MANIFEST_MAGIC_INIT, 2u, 0u, sizeof(ss_manifest), 0u, "future_probe", "9.0.0", "built for plugin ABI 2"};

/* Runs if anything loads the library; the tests check that nothing does. */
__attribute__((constructor)) static void loaded(void) { abort(); }

static const ss_plugin_descriptor* entry(void) { return NULL; }

__attribute__((section(SS_ENTRY_SECTION), used, visibility("default"))) const void* streamswarm_plugin_v1 =
    (const void*)&entry;
