{
  # Built by node-gyp (node-gyp-build's install step when no prebuild fits). CMakeLists.txt builds the same
  # sources for cmake-js. Both read native/sources.json through scripts/sources.js: never list a file here.
  "targets": [
    {
      "target_name": "simdnet_avx2",
      "type": "static_library",
      "sources": ["<!@(node scripts/sources.js isa avx2)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fPIC", "<!@(node scripts/sources.js flags avx2)"],
      "cflags_cc!": ["-fno-exceptions"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
    },
    {
      "target_name": "simdnet_avx512",
      "type": "static_library",
      "sources": ["<!@(node scripts/sources.js isa avx512)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fPIC", "<!@(node scripts/sources.js flags avx512)"],
      "cflags_cc!": ["-fno-exceptions"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
    },
    {
      "target_name": "simdnet",
      "dependencies": ["simdnet_avx2", "simdnet_avx512"],
      "sources": ["<!@(node scripts/sources.js baseline)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fvisibility=hidden"],
      "cflags_cc!": ["-fno-exceptions"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "libraries": ["-lpthread"]
    }
  ]
}
