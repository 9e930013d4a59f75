# The installable C++ package: libocter.so with every dependency (oneDNN, ONNX, protobuf,
# OpenCV) linked privately, the public headers, and a CMake config package, so that another
# project needs only
#   find_package(octet REQUIRED)
#   target_link_libraries(app PRIVATE octet::octet)
# tests/package/consumer_test.sh installs it into a temporary prefix and builds such a project.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The same objects as the static library the CLI and tests link, as one shared library.
add_library(octet_shared SHARED ${CMAKE_SOURCE_DIR}/cmake/shared_library.cpp)
target_link_libraries(octet_shared PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,octet_lib>")
target_include_directories(octet_shared INTERFACE
  $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(octet_shared INTERFACE cxx_std_20)
set_target_properties(octet_shared PROPERTIES
  OUTPUT_NAME octet EXPORT_NAME octet
  VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})

install(TARGETS octet_shared EXPORT octetTargets COMPONENT cpp
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/octet DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT cpp)
install(EXPORT octetTargets NAMESPACE octet:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/octet COMPONENT cpp)
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/octetConfig.cmake.in
  ${CMAKE_BINARY_DIR}/octetConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/octet)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/octetConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/octetConfig.cmake ${CMAKE_BINARY_DIR}/octetConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/octet COMPONENT cpp)

if(OCTET_BUILD_TESTS)
  add_test(NAME package.consumer
    COMMAND ${CMAKE_SOURCE_DIR}/tests/package/consumer_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_BINARY_DIR}/package-test)
  set_tests_properties(package.consumer PROPERTIES TIMEOUT 900)
endif()
