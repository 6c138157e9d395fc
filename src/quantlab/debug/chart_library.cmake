# Vendors the debugger's charting library into the build: at build time the
# pinned npm package is fetched with npm, checked against its pinned SHA-512,
# and compiled into quantlab_core as a generated source (nothing is
# committed). Without npm or a registry the library is left empty and the
# debugger writes its chart page without charts, saying why.
set(QL_CHART_PACKAGE "chart.js")
set(QL_CHART_VERSION "4.5.1")
set(QL_CHART_SHA512 "1888df893f5d6e61d18988ba365db2142abb924c1d929d56fe5a7627df6b5f4ca8f6d8091a7de5290013ced2236f9b55b5ebdc06d21d202356aa5ab9f84f3f3f")
find_program(QL_NPM npm)
set(QL_CHART_WORK_DIR ${CMAKE_BINARY_DIR}/vendor/chartjs)
set(QL_CHART_SOURCE ${CMAKE_BINARY_DIR}/generated/quantlab/debug/chart_library_data.cc)
add_custom_command(
  OUTPUT ${QL_CHART_SOURCE}
  COMMAND ${CMAKE_COMMAND} "-DNPM=${QL_NPM}" "-DPACKAGE=${QL_CHART_PACKAGE}" "-DVERSION=${QL_CHART_VERSION}"
          "-DSHA512=${QL_CHART_SHA512}" "-DWORK_DIR=${QL_CHART_WORK_DIR}" "-DOUTPUT=${QL_CHART_SOURCE}"
          -P ${CMAKE_CURRENT_LIST_DIR}/fetch_chart_library.cmake
  DEPENDS ${CMAKE_CURRENT_LIST_DIR}/fetch_chart_library.cmake
  COMMENT "npm: vendoring ${QL_CHART_PACKAGE}@${QL_CHART_VERSION} for the debugger's charts")
target_sources(quantlab_core PRIVATE ${QL_CHART_SOURCE})
