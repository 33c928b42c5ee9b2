// conn.cpp -- gort::net::Conn, the public handle of a connected socket: a unique
// owner of its NetFD (fd.cpp does the work).  A Conn without a NetFD (default
// constructed, moved from) behaves as a closed one.
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <gort/net.hpp>

#include "fd.hpp"

namespace gort::net {
namespace {

// The NetFD, or errc::closed for a Conn that has none.
detail::NetFD& get(const std::unique_ptr<detail::NetFD>& fd, const char* op) {
  if (fd == nullptr) throw std::system_error(errc::closed, op);
  return *fd;
}

const std::string kNoNetwork;

}  // namespace

Conn::Conn() noexcept = default;
Conn::Conn(std::unique_ptr<detail::NetFD> fd) noexcept : fd_(std::move(fd)) {}
Conn::Conn(Conn&& other) noexcept = default;
Conn& Conn::operator=(Conn&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::move(other.fd_);
  }
  return *this;
}
Conn::~Conn() { close(); }

std::size_t Conn::read(std::span<std::byte> buf) { return get(fd_, "read").read(buf); }
std::size_t Conn::write(std::span<const std::byte> buf) { return get(fd_, "write").write(buf); }

void Conn::close() noexcept {
  if (fd_ != nullptr) fd_->close();
}

void Conn::close_write() { get(fd_, "close").shutdown(SHUT_WR); }

void Conn::set_deadline(Clock::time_point t) {
  get(fd_, "set").set_deadline(t, gort::detail::kPollRead + gort::detail::kPollWrite);
}
void Conn::set_read_deadline(Clock::time_point t) { get(fd_, "set").set_deadline(t, gort::detail::kPollRead); }
void Conn::set_write_deadline(Clock::time_point t) { get(fd_, "set").set_deadline(t, gort::detail::kPollWrite); }

void Conn::set_no_delay(bool no_delay) { get(fd_, "set").set_int_option(IPPROTO_TCP, TCP_NODELAY, no_delay ? 1 : 0); }
void Conn::set_linger(int sec) { get(fd_, "set").set_linger(sec); }

std::string Conn::local_addr() const { return fd_ != nullptr ? fd_->laddr : std::string(); }
std::string Conn::remote_addr() const { return fd_ != nullptr ? fd_->raddr : std::string(); }
const std::string& Conn::network() const noexcept { return fd_ != nullptr ? fd_->net : kNoNetwork; }

}  // namespace gort::net
