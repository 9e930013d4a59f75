// libocter.so is octet's static library linked whole (cmake/install.cmake); a shared library
// target needs at least one source of its own, and this is it.
namespace octet {}
