// The object registry, deferred destruction, and per-type destroy dispatch.
#include "core/object.h"

#include "core/console.h"
#include "core/endpoint.h"
#include "core/ioports.h"
#include "core/irq.h"
#include "core/memory_object.h"
#include "core/notification.h"
#include "core/quota.h"
#include "core/space.h"
#include "core/thread.h"

namespace hmk {

constinit ZombieList g_zombies;
constinit BackgroundWork g_background;

namespace {
constinit ObjectRegistry g_registry;
size_t g_live = 0;
}  // namespace

KernelObject::KernelObject(ObjectType type, Quota* quota, uint64_t charged)
    : type_(type), quota_(quota), charged_(charged) {
  if (quota_ != nullptr) quota_->acquire();
  g_registry.push_back(this);
  ++g_live;
}

KernelObject::~KernelObject() {
  ObjectRegistry::remove(this);
  --g_live;
  if (quota_ != nullptr) {
    quota_->uncharge(charged_);
    quota_->release();
  }
}

void KernelObject::release() {
  if (refs_ == 0) panic("release of a dead %s object", object_type_name(type_));
  if (--refs_ == 0) g_zombies.push_back(this);
}

void reap_all_objects() {
  // Each destroy() may release more objects onto the queue; every object is destroyed once,
  // so this ends after at most as many rounds as there are live objects.
  // bound: each object is destroyed once: at most the live objects (above)
  while (KernelObject* object = g_zombies.pop_front()) {
    switch (object->type()) {
      case ObjectType::kSpace:
        static_cast<Space*>(object)->destroy();
        break;
      case ObjectType::kThread:
        static_cast<Thread*>(object)->destroy();
        break;
      case ObjectType::kEndpoint:
        static_cast<Endpoint*>(object)->destroy();
        break;
      case ObjectType::kNotification:
        static_cast<Notification*>(object)->destroy();
        break;
      case ObjectType::kMemory:
        static_cast<MemoryObject*>(object)->destroy();
        break;
      case ObjectType::kIrq:
        static_cast<Irq*>(object)->destroy();
        break;
      case ObjectType::kIoPorts:
        static_cast<IoPorts*>(object)->destroy();
        break;
      case ObjectType::kIrqControl:
      case ObjectType::kNone:
        panic("reap: object of type %s cannot die", object_type_name(object->type()));
    }
  }
}

const ObjectRegistry& live_objects() {
  return g_registry;
}

size_t live_object_count() {
  return g_live;
}

const char* object_type_name(ObjectType type) {
  switch (type) {
    case ObjectType::kNone:
      return "None";
    case ObjectType::kSpace:
      return "Space";
    case ObjectType::kThread:
      return "Thread";
    case ObjectType::kEndpoint:
      return "Endpoint";
    case ObjectType::kNotification:
      return "Notification";
    case ObjectType::kMemory:
      return "MemoryObject";
    case ObjectType::kIrq:
      return "Irq";
    case ObjectType::kIrqControl:
      return "IrqControl";
    case ObjectType::kIoPorts:
      return "IoPorts";
  }
  return "?";
}

}  // namespace hmk
