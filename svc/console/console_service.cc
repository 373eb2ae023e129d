// The 16550 console driver (console_service.h).
#include "svc/console/console_service.h"

#include "svc/lib/rpc_ipc.h"
#include "svc/lib/rpc_status.h"
#include "svc/lib/syscall.h"

namespace hmk::svc::console {
namespace {

// 16550 registers (offsets from the base port) and the bits used here.
constexpr uint16_t kData = 0;       // RBR (read) / THR (write)
constexpr uint16_t kIntEnable = 1;  // IER
constexpr uint16_t kFifo = 2;       // IIR (read) / FCR (write)
constexpr uint16_t kLineCtl = 3;    // LCR
constexpr uint16_t kModemCtl = 4;   // MCR
constexpr uint16_t kLineStatus = 5;
constexpr uint8_t kIerReceive = 0x01;
constexpr uint8_t kIerTransmit = 0x02;
constexpr uint8_t kLsrDataReady = 0x01;
constexpr uint8_t kLsrTransmitEmpty = 0x20;
constexpr uint8_t kFcrEnableClear = 0x07;  // FIFOs on, both cleared, trigger at 1 byte
constexpr uint8_t kLcr8N1 = 0x03;
constexpr uint8_t kMcrDtrRtsOut2 = 0x0b;  // OUT2 gates the interrupt line on a PC
constexpr uint32_t kFifoBytes = 16;
constexpr uint16_t kPortCount = 8;
constexpr uint32_t kComIrq = 4;

}  // namespace

uint8_t ConsoleService::in(uint16_t reg) {
  Result<uint32_t> v = rt::io_port_in(ports_, static_cast<uint16_t>(base_ + reg), 1);
  return v.ok() ? static_cast<uint8_t>(*v) : 0;
}

void ConsoleService::out(uint16_t reg, uint8_t value) {
  (void)rt::io_port_out(ports_, static_cast<uint16_t>(base_ + reg), 1, value);
}

rpc::Status ConsoleService::start(svc::Env& env) {
  ports_ = env.io_ports("com1", &base_);
  irq_ = env.irq(kComIrq);
  if (ports_ == 0 || irq_ == 0) {
    svc::log("console: the manifest must grant ioports=com1:0x3f8:%u and irqs=%u\n", kPortCount,
             kComIrq);
    return rpc::Status::kNoService;
  }
  RPC_TRY(output_progress_.init());
  RPC_TRY(input_ready_.init());
  Result<abi::Handle> n = rt::notification_create();
  if (!n.ok()) return rpc::from_kernel(n.status());
  irq_notification_ = *n;
  RPC_TRY(rpc::from_kernel(rt::irq_bind(irq_, irq_notification_)));
  // Input typed before the driver took over waits in the receive register; switching the FIFOs
  // on would drop it, so take it first.
  for (uint32_t budget = kFifoBytes; budget > 0 && (in(kLineStatus)&kLsrDataReady) != 0; --budget) {
    ++stats_.bytes_in;
    receive(in(kData));
  }
  // The kernel set the line format and speed at boot and keeps printing through the same UART
  // by polling; keep both, turn the FIFOs and the interrupt on.
  out(kLineCtl, kLcr8N1);
  out(kFifo, kFcrEnableClear);
  out(kModemCtl, kMcrDtrRtsOut2);
  ier_ = kIerReceive;
  out(kIntEnable, ier_);
  return env.spawn(interrupt_loop, this);
}

void ConsoleService::interrupt_loop(void* self) {
  auto* console = static_cast<ConsoleService*>(self);
  for (;;) {
    if (!rt::wait(console->irq_notification_).ok()) return;
    {
      svc::DomainLock hold;
      console->handle_interrupt();
    }
    (void)rt::irq_ack(console->irq_);
  }
}

void ConsoleService::handle_interrupt() {
  ++stats_.interrupts;
  (void)in(kFifo);  // reading IIR acknowledges a transmit interrupt
  for (uint32_t budget = 4 * kFifoBytes; budget > 0; --budget) {
    if ((in(kLineStatus)&kLsrDataReady) == 0) break;
    ++stats_.bytes_in;
    receive(in(kData));
  }
  transmit();
}

// Line discipline: echo, backspace, CR, LF or CR LF ends a line.
void ConsoleService::receive(uint8_t c) {
  const bool was_cr = last_was_cr_;
  last_was_cr_ = c == '\r';
  if (c == '\n' && was_cr) return;
  if (c == '\r' || c == '\n') {
    echo('\n');
    if (line_count_ < kLines) {
      const uint32_t slot = (first_line_ + line_count_) % kLines;
      for (uint32_t i = 0; i < typed_; ++i)
        lines_[slot][i] = typing_[i];
      line_sizes_[slot] = typed_;
      ++line_count_;
      input_ready_.signal();
      if (notifier_ != 0) (void)rt::signal(notifier_);
    }
    typed_ = 0;
    return;
  }
  if (c == 0x7f || c == 0x08) {
    if (typed_ > 0) {
      --typed_;
      echo('\b');
      echo(' ');
      echo('\b');
    }
    return;
  }
  if (typed_ < kLineBytes) {
    typing_[typed_++] = static_cast<char>(c);
    echo(c);
  }
}

// Echo never waits for buffer space (it runs in the interrupt handler): a full buffer drops it.
void ConsoleService::echo(uint8_t c) {
  if (c == '\n') echo('\r');
  if (queued_ < kOutputBytes) put(c);
}

void ConsoleService::put(uint8_t c) {
  output_[(head_ + queued_) % kOutputBytes] = c;
  ++queued_;
}

// Moves queued bytes into the transmit FIFO if it is empty, and keeps the transmit interrupt
// enabled exactly while bytes remain.
void ConsoleService::transmit() {
  if (queued_ > 0 && (in(kLineStatus)&kLsrTransmitEmpty) != 0) {
    for (uint32_t n = 0; n < kFifoBytes && queued_ > 0; ++n) {
      out(kData, output_[head_]);
      head_ = (head_ + 1) % kOutputBytes;
      --queued_;
      ++stats_.bytes_out;
    }
    output_progress_.signal();
  }
  const bool want = queued_ > 0;
  if (want != transmitting_) {
    transmitting_ = want;
    ier_ = static_cast<uint8_t>(want ? ier_ | kIerTransmit : ier_ & ~kIerTransmit);
    out(kIntEnable, ier_);
  }
}

rpc::Status ConsoleService::write(const Console::WriteRequest& req, Console::WriteResponse& resp,
                                  const rpc::CallContext&) {
  for (uint32_t i = 0; i < req.data.size; ++i) {
    const uint8_t c = req.data.data[i];
    const uint32_t need = c == '\n' ? 2 : 1;  // a line feed goes out as CR LF
    while (kOutputBytes - queued_ < need) {
      transmit();
      // The domain cannot spare a thread to wait: report what is queued, so that the client
      // sends only the rest again (an error would make it send all of it twice). Nothing
      // queued yet is an error.
      if (const rpc::Status s = output_progress_.wait(); s != rpc::Status::kOk) {
        if (i == 0) return s;
        resp.written = i;
        transmit();
        return rpc::Status::kOk;
      }
    }
    if (c == '\n') put('\r');
    put(c);
  }
  transmit();
  resp.written = req.data.size;
  return rpc::Status::kOk;
}

rpc::Status ConsoleService::read_line(const Console::ReadLineRequest&,
                                      Console::ReadLineResponse& resp, const rpc::CallContext&) {
  while (line_count_ == 0) {
    RPC_TRY(input_ready_.wait());
  }
  const uint32_t n = line_sizes_[first_line_];
  for (uint32_t i = 0; i < n; ++i)
    resp.line.data[i] = lines_[first_line_][i];
  resp.line.size = n;
  first_line_ = (first_line_ + 1) % kLines;
  --line_count_;
  return rpc::Status::kOk;
}

rpc::Status ConsoleService::flush(const Console::FlushRequest&, Console::FlushResponse&,
                                  const rpc::CallContext&) {
  while (queued_ > 0) {
    transmit();
    if (queued_ == 0) break;
    RPC_TRY(output_progress_.wait());
  }
  // The last FIFO load: wait until the transmitter has taken it.
  while ((in(kLineStatus)&kLsrTransmitEmpty) == 0)
    (void)rt::yield();
  return rpc::Status::kOk;
}

rpc::Status ConsoleService::stats(const Console::StatsRequest&, Console::StatsResponse& resp,
                                  const rpc::CallContext&) {
  resp.stats = stats_;
  return rpc::Status::kOk;
}

rpc::Status ConsoleService::notify_on_input(const Console::NotifyOnInputRequest& req,
                                            Console::NotifyOnInputResponse&,
                                            const rpc::CallContext&) {
  Result<rt::CapInfo> info = rt::cap_info(req.notifier.handle);
  if (!info.ok() || info->type != abi::ObjectType::kNotification ||
      (info->rights & abi::kRightSend) == 0) {
    return rpc::Status::kInvalidArgument;  // the dispatcher drops what the call brought
  }
  if (notifier_ != 0) (void)rt::cap_delete(notifier_);
  notifier_ = req.notifier.handle;
  return rpc::Status::kOk;
}

}  // namespace hmk::svc::console
