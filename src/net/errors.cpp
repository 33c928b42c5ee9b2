// errors.cpp -- the "gort.net" error category: Go's net errors (ErrClosed, the timeout
// error, AddrError, UnknownNetworkError, DNSError) as std::error_code values.
//
// errc::timeout compares equal to std::errc::timed_out, so that code() ==
// std::errc::timed_out holds for every deadline as API.md asks, while what() still
// ends in Go's "i/o timeout"; the malformed-argument codes compare equal to
// std::errc::invalid_argument, and closed to std::errc::bad_file_descriptor (what a
// raw socket would have said).
#include <string>
#include <system_error>

#include <gort/net.hpp>

namespace gort::net {
namespace {

class NetCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gort.net"; }

  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::closed: return "use of closed network connection";
      case errc::timeout: return "i/o timeout";
      case errc::unknown_network: return "unknown network";
      case errc::missing_port: return "missing port in address";
      case errc::invalid_port: return "invalid port";
      case errc::too_many_colons: return "too many colons in address";
      case errc::missing_bracket: return "missing ']' in address";
      case errc::unexpected_bracket: return "unexpected '[' or ']' in address";
      case errc::invalid_address: return "invalid address";
      case errc::no_suitable_address: return "no suitable address found";
      case errc::no_such_host: return "no such host";
      case errc::lookup_failed: return "lookup failed";
    }
    return "unknown gort.net error";
  }

  std::error_condition default_error_condition(int ev) const noexcept override {
    switch (static_cast<errc>(ev)) {
      case errc::closed: return std::errc::bad_file_descriptor;
      case errc::timeout: return std::errc::timed_out;
      case errc::unknown_network:
      case errc::missing_port:
      case errc::invalid_port:
      case errc::too_many_colons:
      case errc::missing_bracket:
      case errc::unexpected_bracket:
      case errc::invalid_address:
      case errc::no_suitable_address: return std::errc::invalid_argument;
      case errc::no_such_host:
      case errc::lookup_failed: break;
    }
    return {ev, *this};
  }
};

}  // namespace

const std::error_category& net_category() noexcept {
  static const NetCategory category;
  return category;
}

}  // namespace gort::net
