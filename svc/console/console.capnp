@0x9c488775d9874e52;
# The system console: a 16550 UART driven by its interrupt. Output is buffered and drained by
# the transmit interrupt; input is collected by the receive interrupt, echoed, and handed out
# a line at a time.

using Hmk = import "/tools/capnpc-hmk/hmk.capnp";
$Hmk.namespace("hmk::svc::console");

interface Console {
  write @0 (data :Data $Hmk.maxSize(512)) -> (written :UInt32);
  # Queues `data` for output and returns once all of it is queued (not necessarily sent). If the
  # output buffer is full and the console cannot wait for room, it returns what it queued
  # (`written` below the size; wouldBlock if nothing).

  readLine @1 () -> (line :Text $Hmk.maxSize(256));
  # Waits for the next line of input and returns it without its line end. A longer line is
  # cut at 256 bytes; the rest is dropped.

  flush @2 () -> ();
  # Waits until every queued byte has left the UART.

  stats @3 () -> (stats :Stats);
  # Counters since the service started.

  notifyOnInput @4 (notifier :Notifier) -> ();
  # From now on, signals `notifier` whenever a line of input is complete, so a client can wait
  # for input without a blocked call. Replaces an earlier notifier.
}

interface Notifier {}
# A kernel notification, passed as a capability (the console signals it; it has no methods).

struct Stats {
  interrupts @0 :UInt64;
  # UART interrupts handled.
  bytesOut @1 :UInt64;
  # Bytes written to the transmitter.
  bytesIn @2 :UInt64;
  # Bytes read from the receiver.
}
