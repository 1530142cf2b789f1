// The plugin's entry file: exports the manifest and entry point, and nothing else (the SDK's CMake
// function hides every other symbol).
#include "hello_probe.hpp"

STREAMSWARM_PLUGIN(hello::HelloProbe, "hello", "1.0.0", "Looks host names up; reports lookup time and addresses")
