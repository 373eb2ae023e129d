// What a service is and what it may ask of the domain it runs in.
//
// A service is a class that implements the generated Server of its interface and this Service
// base. The composition rule (tools/compose) decides where it runs: in a process of its own, in
// a process with other services, or in the kernel; the service's code is the same in each.
// Everything it needs from its surroundings goes through Env, Event and Extent below, which each
// kind of domain implements (svc/lib/domain.cc for user processes, svc/kernel/domain.cc in the
// kernel).
//
// Concurrency: a domain runs every call, and every worker's critical section, under one domain
// lock. A service therefore needs no locks of its own; it blocks only through Event::wait,
// which lets the lock go while it sleeps. A call that waits keeps its dispatch thread, so the
// domain starts another one first if none is left to take calls (up to kMaxDispatchThreads):
// a waiting call never stalls the other services of its domain.
#pragma once

#include <stdint.h>

#include "core/lib/status.h"
#include "svc/lib/rpc.h"

namespace hmk::svc {

// The domain's view of the boot manifest and its resources.
class Env {
 public:
  // A channel to `service`: local if this domain serves it, ipc if the manifest granted it,
  // a channel of kind kNone (calls fail with kNoService) otherwise.
  rpc::Channel lookup(const char* service, uint64_t interface_id) const;
  // The I/O port capability the manifest granted under `label` (e.g. "com1"), or 0; `base`
  // gets the range's first port.
  uint32_t io_ports(const char* label, uint16_t* base) const;
  // The capability for interrupt line `line` the manifest granted, or 0.
  uint32_t irq(uint32_t line) const;
  // Runs `function(arg)` on a thread of its own (e.g. an interrupt handler loop). The function
  // takes the domain lock (DomainLock) around any work on service state.
  rpc::Status spawn(void (*function)(void*), void* arg) const;
};

// Something a service waits for (input arriving, buffer space). wait() sleeps until the next
// signal() with the domain lock released and takes it again before it returns; callers loop on
// their condition. A signal before the wait is not lost. wait() returns kOk after waiting, or
// without waiting kWouldBlock when the domain has no dispatch thread to spare for other calls
// meanwhile (the call should then fail with it), or kUnsupported where nothing may block (the
// kernel).
class Event {
 public:
  rpc::Status init();
  [[nodiscard]] rpc::Status wait();
  void signal();

 private:
  uint32_t notification_ = 0;
};

// Holds the domain lock (for workers started with Env::spawn; calls already hold it).
class DomainLock {
 public:
  DomainLock();
  ~DomainLock();
  DomainLock(const DomainLock&) = delete;
  DomainLock& operator=(const DomainLock&) = delete;
};

// Zeroed memory for service data, in pages: a memory object mapped into the domain. Who pays
// for it is the domain's business: a user domain's own quota; in the kernel, the quota of the
// client whose call allocates it (alloc_extent fails outside a call there).
struct Extent {
  uint8_t* base = nullptr;
  uint64_t pages = 0;
  uint32_t memory = 0;    // a handle of its memory object, for sharing; 0: none (domain.cc)
  uintptr_t account = 0;  // the kernel domain: whom the pages are charged to (opaque)
};
rpc::Status alloc_extent(uint64_t pages, Extent* out);
void free_extent(Extent& extent);

// Diagnostics, on the console the kernel also writes to.
void log(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// The core's calls on another process's address space, for a service that manages address
// spaces (memmgr) through capabilities it was given: `space` a Space capability with Manage,
// `memory` a memory object's, both handles in the service's own table (what a call carried to
// it, rpc.h). Each answers the core's Status as the core gave it (core/abi/syscalls.tbl: map,
// unmap, space_resolve_fault). A user domain makes them as system calls (svc/lib/space_calls.cc),
// the kernel's through its domain space (svc/kernel/space_calls.cc); host tests record them
// (test_env.h).
Status space_map(uint32_t space, uint32_t memory, uint64_t vaddr, uint64_t first_page,
                 uint64_t pages, uint32_t rights);
Status space_unmap(uint32_t space, uint64_t vaddr, uint64_t pages);
Status space_resolve_fault(uint32_t space, uint64_t address, uint32_t access);

// The base every service implements besides its interface's Server.
class Service {
 public:
  // Called once, in manifest order, before the domain takes calls: look up other services,
  // claim devices, start workers. A failure ends the domain.
  virtual rpc::Status start(Env& env) = 0;
  // Called once when the domain ends with the system (the kernel domain at the end of a boot,
  // core/kernel_service.h's stop): give back the memory held for clients (a file system's
  // files), so that what stays held is a leak. Default: nothing held.
  virtual void stop() {}

 protected:
  ~Service() = default;
};

// One service of a domain, as the generated domain table lists it.
struct ServiceSlot {
  const char* name;          // the manifest's service name
  Service* service;          // for start()
  void* server;              // the interface's Server (for local channels and dispatch)
  uint64_t interface_id;     // the interface's capnp id
  rpc::DispatchFn dispatch;  // the generated dispatcher
};

// Dispatch threads a domain may have at most: calls waiting in Event::wait each hold one.
inline constexpr uint32_t kMaxDispatchThreads = 8;

// Starts the services and serves calls on the domain's endpoint with `threads` threads (more
// as waiting calls need them, up to kMaxDispatchThreads); returns only if start-up fails (the
// status is the process's exit code).
int run_domain(const ServiceSlot* slots, uint32_t count, uint32_t threads);

}  // namespace hmk::svc
