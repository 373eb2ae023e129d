// The console service: a 16550 UART driver in user space (see console.capnp).
//
// Output goes into a ring buffer that the transmit interrupt drains, 16 bytes (one FIFO) at a
// time; input arrives through the receive interrupt, is echoed, and is kept a line at a time.
// The UART's registers are reached through an I/O port capability and its interrupt through a
// notification, both granted by the boot manifest (ioports=com1:0x3f8:8 irqs=4).
#pragma once

#include "svc/console/console.hmk.h"
#include "svc/lib/service.h"

namespace hmk::svc::console {

class ConsoleService final : public svc::Service, public Console::Server {
 public:
  rpc::Status start(svc::Env& env) override;

  rpc::Status write(const Console::WriteRequest& req, Console::WriteResponse& resp,
                    const rpc::CallContext& ctx) override;
  rpc::Status read_line(const Console::ReadLineRequest& req, Console::ReadLineResponse& resp,
                        const rpc::CallContext& ctx) override;
  rpc::Status flush(const Console::FlushRequest& req, Console::FlushResponse& resp,
                    const rpc::CallContext& ctx) override;
  rpc::Status stats(const Console::StatsRequest& req, Console::StatsResponse& resp,
                    const rpc::CallContext& ctx) override;
  rpc::Status notify_on_input(const Console::NotifyOnInputRequest& req,
                              Console::NotifyOnInputResponse& resp,
                              const rpc::CallContext& ctx) override;

  static constexpr uint32_t kOutputBytes = 4096;
  static constexpr uint32_t kLineBytes = 256;
  static constexpr uint32_t kLines = 4;

 private:
  static void interrupt_loop(void* self);
  void handle_interrupt();
  void receive(uint8_t c);
  void echo(uint8_t c);
  void put(uint8_t c);
  void transmit();
  uint8_t in(uint16_t reg);
  void out(uint16_t reg, uint8_t value);

  uint32_t ports_ = 0;
  uint16_t base_ = 0;
  uint32_t irq_ = 0;
  uint32_t irq_notification_ = 0;
  uint8_t ier_ = 0;

  // Output ring: [head, tail) modulo kOutputBytes, `queued` bytes.
  uint8_t output_[kOutputBytes];
  uint32_t head_ = 0;
  uint32_t queued_ = 0;
  bool transmitting_ = false;
  svc::Event output_progress_;

  // Input: the line being typed, and finished lines waiting for read_line.
  char typing_[kLineBytes];
  uint32_t typed_ = 0;
  bool last_was_cr_ = false;
  char lines_[kLines][kLineBytes];
  uint32_t line_sizes_[kLines] = {};
  uint32_t first_line_ = 0;
  uint32_t line_count_ = 0;
  svc::Event input_ready_;
  uint32_t notifier_ = 0;  // a client's notification, signalled per line

  Stats stats_;
};

}  // namespace hmk::svc::console
