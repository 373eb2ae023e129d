// The shim's memory bookkeeping on the host, with a fake backend that keeps the process's
// mappings and the memory objects in host memory, each page an allocation of its own, and makes
// mirrors as ShimBackend does: regions split and merge into the right mappings, protections
// follow W^X across a memory object, copies check permissions and go a page at a time, and the
// ELF loader and initial stack produce what Linux would.
#include <array>
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "linuxcompat/address_space.h"
#include "linuxcompat/exec.h"
#include "linuxcompat/linux.h"
#include "linuxcompat/task.h"
#include "linuxcompat/test_services.h"
#include "svc/lib/test_env.h"
#include "svc/memmgr/memmgr_service.h"

namespace hmk::lx {
namespace {

class FakeBackend;

// The core as memmgr reaches it (svc/lib/test_env.h) when memmgr makes the mappings: each call
// goes to the FakeBackend of the address space named. memmgr is called directly here (as beside
// the shim in ic0, ic2 and userpager): it borrows the shim's own handles and must never delete
// one.
class FakeCore final : public svc::test::FakeKernel {
 public:
  FakeCore() { svc::test::use_kernel(this); }
  ~FakeCore() { svc::test::use_kernel(nullptr); }
  FakeCore(const FakeCore&) = delete;
  FakeCore& operator=(const FakeCore&) = delete;

  abi::Handle add(FakeBackend* backend) {
    spaces_[next_] = backend;
    return next_++;
  }
  Status map(uint32_t space, uint32_t memory, uint64_t vaddr, uint64_t first_page, uint64_t pages,
             uint32_t rights) override;
  Status unmap(uint32_t space, uint64_t vaddr, uint64_t pages) override;
  Status resolve_fault(uint32_t, uint64_t, uint32_t) override { return Status::kOk; }
  void drop(uint32_t) override { ++drops; }
  uint64_t calls = 0;  // map and unmap calls memmgr made
  uint64_t drops = 0;  // handles memmgr deleted: the shim's own, so always a bug here

 private:
  FakeBackend& backend_of(uint32_t space) { return *spaces_.at(space); }

  std::map<abi::Handle, FakeBackend*> spaces_;
  abi::Handle next_ = 1'000'000;
};

struct Mapping {
  abi::Handle memory;
  uint64_t first_page;
  uint64_t pages;
  uint32_t rights;
};

using Page = std::array<uint8_t, kPageSize>;

// The memory objects the fakes of several processes share (fork shares memory between them):
// each page a separate allocation, as the kernel's frames are not contiguous.
struct MemoryStore {
  abi::Handle next = 100;
  std::map<abi::Handle, std::vector<std::unique_ptr<Page>>> objects;
  std::map<abi::Handle, bool> writable;  // whether the object's mirror is writable (none: no)
};

class FakeBackend final : public MemoryBackend {
 public:
  FakeBackend() : store_(own_) {}
  // Another process's backend over the same memory objects (a fork's child), its mappings
  // made by memmgr if the other's are.
  explicit FakeBackend(FakeBackend& other) : store_(other.store_) {
    if (other.core_ != nullptr) use(other.core_);
  }
  // memmgr makes this process's mappings from now on (through `core`).
  void use(FakeCore* core) {
    core_ = core;
    space_ = core->add(this);
  }
  abi::Handle space() const override { return space_; }
  Status create(uint64_t pages, bool, MemoryObject* object) override {
    if (pages == 0 || pages > abi::kMaxMemoryPages) return Status::kInvalidArgument;  // the core's
    if (pages > budget_pages) return Status::kQuotaExceeded;
    budget_pages -= pages;
    *object = {store_.next++, pages};
    auto& frames = store_.objects[object->handle];
    for (uint64_t i = 0; i < pages; ++i)
      frames.push_back(std::make_unique<Page>(Page{}));
    store_.writable[object->handle] = false;  // no mirror: writable nowhere
    return Status::kOk;
  }
  // A copy made now (the kernel's copy-on-write is the same to the shim: neither side sees the
  // other's later writes).
  Status clone(const MemoryObject& source, MemoryObject* copy) override {
    TRY(create(source.pages, false, copy));
    for (uint64_t i = 0; i < source.pages; ++i)
      *store_.objects[copy->handle][i] = *store_.objects[source.handle][i];
    ++clones;
    return Status::kOk;
  }
  // As ShimBackend: the first page reached makes the object's mirror (writable if the object
  // is), which the core refuses writable while the object is mapped executable (W^X). The
  // page itself is the separate allocation, not a place in the mirror.
  uint8_t* page(MemoryObject& object, uint64_t index, PageAccess access) override {
    REQUIRE(store_.objects.count(object.handle) == 1);
    ++pages_reached;
    if (index >= object.pages || (access == PageAccess::kWrite && !object.writable)) {
      return nullptr;
    }
    if (object.mirror == nullptr) {
      if (mirrors_before_failure >= 0 && mirrors_before_failure-- == 0) return nullptr;
      if (object.writable && executable(object.handle)) return nullptr;
      REQUIRE(mirrored.insert(object.handle).second);  // one mirror per object
      store_.writable[object.handle] = object.writable;
      object.mirror = store_.objects[object.handle][0]->data();  // a mark: never dereferenced
    }
    return store_.objects[object.handle][index]->data();
  }
  Status set_writable(MemoryObject& object, bool writable) override {
    if (object.mirror == nullptr) return Status::kOk;
    if (writable && executable(object.handle)) return Status::kPermissionDenied;
    store_.writable[object.handle] = writable;
    return Status::kOk;
  }
  void destroy(MemoryObject& object) override {
    const abi::Handle memory = object.handle;
    REQUIRE((object.mirror != nullptr) == (mirrored.erase(memory) == 1));
    // While the process lives, only memory it no longer maps is deleted; when the address
    // space goes (the process has ended) its mappings go with the process.
    for (auto it = mappings.begin(); it != mappings.end();) {
      if (it->second.memory != memory) {
        ++it;
        continue;
      }
      REQUIRE(process_gone);
      it = mappings.erase(it);
    }
    REQUIRE(store_.objects.erase(memory) == 1);
    budget_pages += object.pages;
  }
  Status map(abi::Handle memory, uint64_t vaddr, uint64_t first_page, uint64_t pages,
             uint32_t rights) override {
    REQUIRE(store_.objects.count(memory) == 1);
    REQUIRE(first_page + pages <= store_.objects[memory].size());
    if (maps_before_failure >= 0 && maps_before_failure-- == 0) return Status::kOutOfMemory;
    // The core's W^X across mappings, and no overlap.
    const bool w = (rights & abi::kRightWrite) != 0, x = (rights & abi::kRightExecute) != 0;
    if (w && x) return Status::kInvalidArgument;
    if (x && writable(memory)) return Status::kPermissionDenied;
    for (const auto& [va, m] : mappings) {
      REQUIRE((va + m.pages * kPageSize <= vaddr || vaddr + pages * kPageSize <= va));
      if (m.memory == memory &&
          ((w && (m.rights & abi::kRightExecute)) || (x && (m.rights & abi::kRightWrite)))) {
        return Status::kPermissionDenied;
      }
    }
    mappings[vaddr] = {memory, first_page, pages, rights};
    return Status::kOk;
  }
  Status unmap(uint64_t vaddr, uint64_t pages) override {
    // The core removes whole mappings inside the range; the shim only asks for whole ones.
    auto it = mappings.find(vaddr);
    REQUIRE(it != mappings.end());
    REQUIRE(it->second.pages == pages);
    mappings.erase(it);
    return Status::kOk;
  }
  bool writable(abi::Handle memory) const {
    auto it = store_.writable.find(memory);
    return it == store_.writable.end() || it->second;
  }
  bool executable(abi::Handle memory) const {
    for (const auto& [vaddr, m] : mappings)
      if (m.memory == memory && (m.rights & abi::kRightExecute) != 0) return true;
    return false;
  }
  size_t objects() const { return store_.objects.size(); }
  // Page `index` of an object as the fake keeps it (a test's look behind the address space).
  std::string page_text(abi::Handle memory, uint64_t index) const {
    const Page& page = *store_.objects.at(memory).at(index);
    return std::string(page.begin(), page.end());
  }

  std::map<uint64_t, Mapping> mappings;
  uint64_t budget_pages = 1 << 20;
  int maps_before_failure = -1;     // >= 0: the map after that many fails once (out of memory)
  int clones = 0;                   // copies made with clone (the kernel's copy-on-write)
  int mirrors_before_failure = -1;  // >= 0: the mirror after that many fails once
  std::set<abi::Handle> mirrored;   // objects with a mirror
  uint64_t pages_reached = 0;       // page() calls
  bool process_gone = false;

 private:
  MemoryStore own_;
  MemoryStore& store_;
  FakeCore* core_ = nullptr;
  abi::Handle space_ = abi::kNullHandle;
};

Status FakeCore::map(uint32_t space, uint32_t memory, uint64_t vaddr, uint64_t first_page,
                     uint64_t pages, uint32_t rights) {
  ++calls;
  return backend_of(space).map(memory, vaddr, first_page, pages, rights);
}

Status FakeCore::unmap(uint32_t space, uint64_t vaddr, uint64_t pages) {
  ++calls;
  FakeBackend& backend = backend_of(space);
  // The core removes every whole mapping inside the range (one call may take several).
  for (auto it = backend.mappings.lower_bound(vaddr); it != backend.mappings.end();) {
    if (it->first + it->second.pages * kPageSize > vaddr + pages * kPageSize) break;
    it = backend.mappings.erase(it);
  }
  return Status::kOk;
}

constexpr uint64_t kBase = 0x10'0000;
constexpr uint32_t kRw = kProtRead | kProtWrite;

// The regions and the fake's mappings agree: one mapping per region with protection.
void check_consistent(const AddressSpace& mm, const FakeBackend& fake) {
  size_t mapped = 0;
  for (uint32_t i = 0; i < mm.region_count(); ++i) {
    const Region& r = mm.region(i);
    if (i > 0) REQUIRE(mm.region(i - 1).end() <= r.start);
    if (r.prot == kProtNone) continue;
    ++mapped;
    auto it = fake.mappings.find(r.start);
    REQUIRE(it != fake.mappings.end());
    REQUIRE(it->second.pages == r.pages);
    REQUIRE(it->second.first_page == r.first_page);
    REQUIRE(it->second.memory == r.backing->object->handle);
  }
  REQUIRE(fake.mappings.size() == mapped);
}

TEST_CASE("anonymous memory: map, copy, unmap in the middle, protect") {
  FakeBackend fake;
  {
    AddressSpace mm(fake);
    REQUIRE(mm.map_anonymous(kBase, 8, kRw) == 0);
    REQUIRE(mm.map_anonymous(kBase + kPageSize, 1, kRw) == -kENOMEM);  // taken
    const char text[] = "hello, shim";
    REQUIRE(mm.copy_out(kBase + kPageSize - 4, text, sizeof(text)));  // across a page
    char back[sizeof(text)] = {};
    REQUIRE(mm.copy_in(back, kBase + kPageSize - 4, sizeof(text)));
    REQUIRE(std::string(back) == text);
    char name[64];
    REQUIRE(mm.copy_string(name, kBase + kPageSize - 4, sizeof(name)) == 11);
    REQUIRE(mm.copy_string(name, kBase + kPageSize - 4, 5) == -kENAMETOOLONG);
    REQUIRE_FALSE(mm.copy_in(back, kBase + 8 * kPageSize - 2, 4));  // runs off the end

    // A hole in the middle: three regions become two, sharing one memory object.
    REQUIRE(mm.unmap(kBase + 2 * kPageSize, 2) == 0);
    REQUIRE(mm.region_count() == 2);
    REQUIRE(mm.region(1).first_page == 4);
    REQUIRE(mm.region(0).backing == mm.region(1).backing);
    check_consistent(mm, fake);
    REQUIRE(mm.copy_in(back, kBase + kPageSize - 4, sizeof(text)));  // still there
    REQUIRE(std::string(back) == text);

    // protect changes the pages up to the first one not mapped, then answers ENOMEM (as Linux
    // does); nothing if the first one is not mapped.
    REQUIRE(mm.protect(kBase + 2 * kPageSize, 3, kProtRead) == -kENOMEM);
    REQUIRE(mm.copy_out(kBase + 4 * kPageSize, text, 1));
    REQUIRE(mm.protect(kBase, 8, kProtRead) == -kENOMEM);
    REQUIRE_FALSE(mm.copy_out(kBase + kPageSize, text, 1));  // read-only now
    REQUIRE(mm.copy_out(kBase + 4 * kPageSize, text, 1));    // past the hole: as it was
    REQUIRE(mm.protect(kBase + kPageSize, 1, kRw) == 0);
    REQUIRE_FALSE(mm.copy_out(kBase, text, 1));
    REQUIRE(mm.copy_out(kBase + kPageSize, text, 1));
    check_consistent(mm, fake);
    // Executable while another part of the same object is writable: W^X.
    REQUIRE(mm.protect(kBase, 1, kProtRead | kProtExec) == -kEACCES);
    REQUIRE(mm.protect(kBase, 1, kProtRead | kProtWrite | kProtExec) == -kEACCES);
    REQUIRE(mm.unmap(kBase + kPageSize, 1) == 0);
    REQUIRE(mm.unmap(kBase + 4 * kPageSize, 4) == 0);
    REQUIRE(mm.protect(kBase, 1, kProtRead | kProtExec) == 0);
    REQUIRE_FALSE(fake.writable(mm.region(0).backing->object->handle));
    REQUIRE_FALSE(mm.load(kBase, text, 1));  // the shim may not write it now
    check_consistent(mm, fake);
    fake.process_gone = true;
  }
  REQUIRE(fake.objects() == 0);  // everything deleted with the address space
}

TEST_CASE("fork: private writable memory is cloned, the rest shared; a copy once made writable") {
  FakeBackend fake;
  {
    AddressSpace parent(fake);
    REQUIRE(parent.map_anonymous(kBase, 4, kRw) == 0);                         // private
    REQUIRE(parent.map_anonymous(kBase + 8 * kPageSize, 2, kProtRead) == 0);   // read-only
    REQUIRE(parent.map_anonymous(kBase + 16 * kPageSize, 1, kRw, true) == 0);  // MAP_SHARED
    const char text[] = "before fork";
    REQUIRE(parent.copy_out(kBase + 100, text, sizeof(text)));
    FakeBackend child_fake(fake);
    {
      AddressSpace child(child_fake);
      REQUIRE(child.copy_from(parent) == 0);
      check_consistent(child, child_fake);
      CHECK(child_fake.clones == 1);  // the private writable object only
      CHECK(child.region(0).backing != parent.region(0).backing);
      CHECK(child.region(1).backing == parent.region(1).backing);
      CHECK(child.region(2).backing == parent.region(2).backing);
      // The copy has no mirror until the shim reads or writes it.
      CHECK(child.region(0).backing->object->mirror == nullptr);
      char back[sizeof(text)] = {};
      REQUIRE(child.copy_in(back, kBase + 100, sizeof(text)));
      CHECK(std::string(back) == text);
      CHECK(child.region(0).backing->object->mirror != nullptr);
      // Writes after the fork stay on their side.
      REQUIRE(parent.copy_out(kBase + 100, "P", 1));
      REQUIRE(child.copy_in(back, kBase + 100, 1));
      CHECK(back[0] == 'b');
      // The shared read-only object made writable in the child: a clone of the whole object.
      REQUIRE(child.protect(kBase + 8 * kPageSize, 2, kRw) == 0);
      CHECK(child_fake.clones == 2);
      CHECK(child.region(1).backing != parent.region(1).backing);
      check_consistent(child, child_fake);
      child_fake.process_gone = true;
    }
    check_consistent(parent, fake);
    fake.process_gone = true;
  }
  REQUIRE(fake.objects() == 0);
}

TEST_CASE("mirrors are made when first needed; one that cannot be made is EFAULT") {
  FakeBackend fake;
  {
    AddressSpace mm(fake);
    REQUIRE(mm.map_anonymous(kBase, 2, kRw) == 0);
    CHECK(fake.mirrored.empty());
    char byte = 'x';
    fake.mirrors_before_failure = 0;
    CHECK_FALSE(mm.copy_out(kBase, &byte, 1));
    fake.mirrors_before_failure = 0;
    CHECK_FALSE(mm.copy_in(&byte, kBase, 1));
    char name[8];
    fake.mirrors_before_failure = 0;
    CHECK(mm.copy_string(name, kBase, sizeof(name)) == -kEFAULT);
    uint32_t found = 0;
    fake.mirrors_before_failure = 0;
    CHECK_FALSE(mm.compare_exchange32(kBase, 0, 1, &found));
    fake.mirrors_before_failure = 0;
    CHECK(mm.zero(kBase, 1, AddressSpace::Drop::kDontneed) == -kENOMEM);
    CHECK(fake.mirrored.empty());
    // The next attempt makes it.
    REQUIRE(mm.copy_out(kBase, &byte, 1));
    CHECK(fake.mirrored.size() == 1);
    CHECK(fake.writable(mm.region(0).backing->object->handle));
    // Executable memory's mirror is made read-only.
    REQUIRE(mm.map_anonymous(kBase + 8 * kPageSize, 1, kProtRead | kProtExec) == 0);
    REQUIRE(mm.copy_in(&byte, kBase + 8 * kPageSize, 1));
    CHECK_FALSE(fake.writable(mm.region(mm.region_count() - 1).backing->object->handle));
    fake.process_gone = true;
  }
  REQUIRE(fake.objects() == 0);
  CHECK(fake.mirrored.empty());
}

TEST_CASE("copies go a page at a time: across page boundaries, at an offset into the object") {
  FakeBackend fake;
  {
    AddressSpace mm(fake);
    REQUIRE(mm.map_anonymous(kBase, 4, kRw) == 0);
    REQUIRE(mm.unmap(kBase + kPageSize, 1) == 0);  // the second region: the object's pages 2, 3
    REQUIRE(mm.region(1).first_page == 2);
    const abi::Handle memory = mm.region(1).backing->object->handle;
    const uint64_t edge = kBase + 3 * kPageSize;  // between the object's pages 2 and 3
    std::string text(100, '\0');
    for (size_t i = 0; i < text.size(); ++i)
      text[i] = static_cast<char>('A' + i % 26);
    // copy_out: the first 50 bytes end page 2, the rest begin page 3 (separate allocations in
    // the fake: a copy past the end of page 2 would run off it, and page 3 keep its zeros).
    REQUIRE(mm.copy_out(edge - 50, text.data(), text.size()));
    CHECK(fake.page_text(memory, 2).substr(kPageSize - 50) == text.substr(0, 50));
    CHECK(fake.page_text(memory, 3).substr(0, 50) == text.substr(50));
    std::string back(text.size(), '?');
    REQUIRE(mm.copy_in(back.data(), edge - 50, back.size()));
    CHECK(back == text);
    // A string across the boundary, and one that runs into the page after it.
    REQUIRE(mm.copy_out(edge - 3, "across", 7));
    char name[16];
    CHECK(mm.copy_string(name, edge - 3, sizeof(name)) == 6);
    CHECK(std::string(name) == "across");
    CHECK(mm.copy_string(name, edge - 3, 5) == -kENAMETOOLONG);
    CHECK(std::string(name, 4) == "acro");
    // The loader's copy, a whole page across the boundary.
    const std::string page_of_z(kPageSize, 'z');
    REQUIRE(mm.load(edge - 10, page_of_z.data(), kPageSize));
    CHECK(fake.page_text(memory, 2).substr(kPageSize - 10) == std::string(10, 'z'));
    CHECK(fake.page_text(memory, 3).substr(0, kPageSize - 10) == std::string(kPageSize - 10, 'z'));
    // compare_exchange32 on the first word of page 3 and the last of page 2.
    const uint32_t seven = 7;
    REQUIRE(mm.copy_out(edge, &seven, 4));
    REQUIRE(mm.copy_out(edge - 4, &seven, 4));
    uint32_t found = 0;
    REQUIRE(mm.compare_exchange32(edge, 7, 0x61626364, &found));  // "dcba" in memory
    CHECK(found == 7);
    CHECK(fake.page_text(memory, 3).substr(0, 4) == "dcba");
    REQUIRE(mm.compare_exchange32(edge - 4, 7, 0x65666768, &found));
    CHECK(fake.page_text(memory, 2).substr(kPageSize - 4) == "hgfe");
    // MADV_DONTNEED zeroes both pages of the region, each where it is.
    REQUIRE(mm.zero(kBase + 2 * kPageSize, 2, AddressSpace::Drop::kDontneed) == 0);
    CHECK(fake.page_text(memory, 2) == std::string(kPageSize, '\0'));
    CHECK(fake.page_text(memory, 3) == std::string(kPageSize, '\0'));
    fake.process_gone = true;
  }
  REQUIRE(fake.objects() == 0);
}

TEST_CASE("a region made writable gets a copy of its pages, a page at a time") {
  FakeBackend fake;
  {
    AddressSpace parent(fake);
    REQUIRE(parent.map_anonymous(kBase, 4, kProtRead) == 0);  // shared with the child at fork
    for (uint64_t i = 0; i < 4; ++i) {
      const std::string page(kPageSize, static_cast<char>('a' + i));
      REQUIRE(parent.load(kBase + i * kPageSize, page.data(), kPageSize));
    }
    FakeBackend child_fake(fake);
    {
      AddressSpace child(child_fake);
      REQUIRE(child.copy_from(parent) == 0);
      // Pages 1 and 2 only: not the whole object, so their bytes are copied (copy_bytes).
      REQUIRE(child.protect(kBase + kPageSize, 2, kRw) == 0);
      CHECK(child_fake.clones == 0);
      const Region& copied = child.region(1);
      REQUIRE(copied.first_page == 0);
      REQUIRE(copied.backing != parent.region(0).backing);
      CHECK(child_fake.page_text(copied.backing->object->handle, 0) == std::string(kPageSize, 'b'));
      CHECK(child_fake.page_text(copied.backing->object->handle, 1) == std::string(kPageSize, 'c'));
      char edge[2] = {};
      REQUIRE(child.copy_in(edge, kBase + 2 * kPageSize - 1, 2));
      CHECK(std::string(edge, 2) == "bc");
      check_consistent(child, child_fake);
      child_fake.process_gone = true;
    }
    fake.process_gone = true;
  }
  REQUIRE(fake.objects() == 0);
}

TEST_CASE("zero (MADV_DONTNEED, MADV_FREE): private pages only, holes done past, then ENOMEM") {
  FakeBackend fake;
  {
    AddressSpace parent(fake);
    REQUIRE(parent.map_anonymous(kBase, 4, kRw) == 0);
    REQUIRE(parent.map_anonymous(kBase + 4 * kPageSize, 1, kRw, true) == 0);  // MAP_SHARED
    REQUIRE(parent.map_anonymous(kBase + 8 * kPageSize, 1, kProtRead) == 0);  // shared at fork
    const std::string text(6 * kPageSize, 'x');
    REQUIRE(parent.load(kBase, text.data(), 5 * kPageSize));
    REQUIRE(parent.load(kBase + 8 * kPageSize, text.data(), kPageSize));
    FakeBackend child_fake(fake);
    AddressSpace child(child_fake);
    REQUIRE(child.copy_from(parent) == 0);
    auto byte = [](const AddressSpace& mm, uint64_t at) {
      char c = '?';
      REQUIRE(mm.copy_in(&c, at, 1));
      return c;
    };
    // Private and shared together: the private pages read back zeroed, the shared one keeps
    // its data (for both processes); MADV_FREE stops at the shared one.
    REQUIRE(child.zero(kBase + 3 * kPageSize, 2, AddressSpace::Drop::kDontneed) == 0);
    CHECK(byte(child, kBase + 3 * kPageSize) == 0);
    CHECK(byte(child, kBase + 4 * kPageSize) == 'x');
    CHECK(byte(parent, kBase + 3 * kPageSize) == 'x');
    REQUIRE(child.zero(kBase + 2 * kPageSize, 3, AddressSpace::Drop::kFree) == -kEINVAL);
    CHECK(byte(child, kBase + 2 * kPageSize) == 0);
    CHECK(byte(child, kBase + 4 * kPageSize) == 'x');
    // A range with holes: every mapped page in it zeroed, then ENOMEM; the object shared with
    // the parent since fork is copied first.
    REQUIRE(child.zero(kBase, 9, AddressSpace::Drop::kDontneed) == -kENOMEM);
    CHECK(byte(child, kBase) == 0);
    CHECK(byte(child, kBase + 8 * kPageSize) == 0);
    CHECK(byte(parent, kBase + 8 * kPageSize) == 'x');
    CHECK(byte(parent, kBase) == 'x');
    CHECK(child.zero(kBase + 5 * kPageSize, 1, AddressSpace::Drop::kDontneed) == -kENOMEM);
    check_consistent(child, child_fake);
    check_consistent(parent, fake);
    child_fake.process_gone = true;
    fake.process_gone = true;
  }
  REQUIRE(fake.objects() == 0);
}

TEST_CASE("find_free takes the highest gap that fits, below the limit") {
  FakeBackend fake;
  AddressSpace mm(fake);
  const uint64_t top = 0x7000'0000;
  REQUIRE(mm.find_free(4, top) == top - 4 * kPageSize);
  REQUIRE(mm.map_anonymous(top - 2 * kPageSize, 2, kRw) == 0);
  REQUIRE(mm.map_anonymous(top - 8 * kPageSize, 2, kRw) == 0);
  REQUIRE(mm.find_free(4, top) == top - 6 * kPageSize);  // the gap between them
  REQUIRE(mm.find_free(5, top) == top - 13 * kPageSize);
  REQUIRE(mm.find_free(1ull << 40, top) == 0);
  fake.process_gone = true;
}

TEST_CASE("a failed allocation leaves nothing behind") {
  FakeBackend fake;
  AddressSpace mm(fake);
  fake.budget_pages = 3;
  REQUIRE(mm.map_anonymous(kBase, 4, kRw) == -kENOMEM);
  REQUIRE(mm.region_count() == 0);
  REQUIRE(fake.objects() == 0);
}

TEST_CASE("compare_exchange32: aligned words of writable memory only") {
  FakeBackend fake;
  AddressSpace mm(fake);
  REQUIRE(mm.map_anonymous(kBase, 1, kRw) == 0);
  REQUIRE(mm.map_anonymous(kBase + kPageSize, 1, kProtRead) == 0);
  const uint32_t seven = 7;
  REQUIRE(mm.copy_out(kBase + 8, &seven, 4));
  uint32_t found = 0;
  REQUIRE(mm.compare_exchange32(kBase + 8, 7, 9, &found));
  CHECK(found == 7);
  uint32_t now = 0;
  REQUIRE(mm.copy_in(&now, kBase + 8, 4));
  CHECK(now == 9);
  REQUIRE(mm.compare_exchange32(kBase + 8, 7, 11, &found));  // not 7 any more: left alone
  CHECK(found == 9);
  REQUIRE(mm.copy_in(&now, kBase + 8, 4));
  CHECK(now == 9);
  CHECK_FALSE(mm.compare_exchange32(kBase + 6, 0, 1, &found));              // misaligned
  CHECK_FALSE(mm.compare_exchange32(kBase + kPageSize, 0, 1, &found));      // read-only
  CHECK_FALSE(mm.compare_exchange32(kBase + 2 * kPageSize, 0, 1, &found));  // not mapped
  fake.process_gone = true;
}

// ---- mremap's pieces ----

uint8_t byte_at(AddressSpace& mm, uint64_t address) {
  uint8_t b = 0;
  REQUIRE(mm.copy_in(&b, address, 1));
  return b;
}

// Writes page i of [start, start + pages * kPageSize) full of the byte i + 1.
void fill_pages(AddressSpace& mm, uint64_t start, uint64_t pages) {
  for (uint64_t i = 0; i < pages; ++i) {
    const std::vector<uint8_t> page(kPageSize, static_cast<uint8_t>(i + 1));
    REQUIRE(mm.copy_out(start + i * kPageSize, page.data(), kPageSize));
  }
}

TEST_CASE("mapping_end counts mappings as Linux's VMAs: merged neighbours, one shared object") {
  FakeBackend fake;
  AddressSpace mm(fake);
  REQUIRE(mm.map_anonymous(kBase, 2, kRw) == 0);
  REQUIRE(mm.map_anonymous(kBase + 2 * kPageSize, 1, kRw) == 0);  // merges with the first
  REQUIRE(mm.map_anonymous(kBase + 3 * kPageSize, 1, kProtRead) == 0);
  CHECK(mm.mapping_end(kBase) == kBase + 3 * kPageSize);
  CHECK(mm.mapping_end(kBase + 2 * kPageSize) == kBase + 3 * kPageSize);
  CHECK(mm.mapping_end(kBase + 3 * kPageSize + 5) == kBase + 4 * kPageSize);
  CHECK(mm.mapping_end(kBase + 4 * kPageSize) == 0);
  // MAP_SHARED: two objects never merge; the two parts of one object split by mprotect do.
  const uint64_t s = kBase + 16 * kPageSize;
  REQUIRE(mm.map_anonymous(s, 2, kRw, true) == 0);
  REQUIRE(mm.map_anonymous(s + 2 * kPageSize, 2, kRw, true) == 0);
  CHECK(mm.mapping_end(s) == s + 2 * kPageSize);
  REQUIRE(mm.protect(s + kPageSize, 1, kProtRead) == 0);
  REQUIRE(mm.protect(s + kPageSize, 1, kRw) == 0);
  CHECK(mm.mapping_end(s) == s + 2 * kPageSize);
  CHECK(mm.region(mm.region_count() - 3).backing == mm.region(mm.region_count() - 2).backing);
  fake.process_gone = true;
}

TEST_CASE("grow adds fresh zeroed pages with the mapping's protection") {
  FakeBackend fake;
  AddressSpace mm(fake);
  REQUIRE(mm.map_anonymous(kBase, 2, kRw) == 0);
  fill_pages(mm, kBase, 2);
  REQUIRE(mm.map_anonymous(kBase + 4 * kPageSize, 1, kRw) == 0);
  CHECK(mm.grow(kBase + 2 * kPageSize, 3) == -kENOMEM);  // runs into the next mapping
  CHECK(mm.grow(kBase + kPageSize, 1) == -kEFAULT);      // not where a region ends
  REQUIRE(mm.grow(kBase + 2 * kPageSize, 2) == 0);
  CHECK(byte_at(mm, kBase + kPageSize) == 2);
  CHECK(byte_at(mm, kBase + 2 * kPageSize) == 0);
  CHECK(byte_at(mm, kBase + 4 * kPageSize - 1) == 0);
  CHECK(mm.mapping_end(kBase) == kBase + 5 * kPageSize);
  // Executable memory grows with a read-only mirror (W^X).
  REQUIRE(mm.map_anonymous(kBase + 8 * kPageSize, 1, kProtRead | kProtExec) == 0);
  REQUIRE(mm.grow(kBase + 9 * kPageSize, 1) == 0);
  CHECK_FALSE(fake.writable(mm.region(mm.region_count() - 1).backing->object->handle));
  CHECK(mm.region(mm.region_count() - 1).prot == (kProtRead | kProtExec));
  check_consistent(mm, fake);
  fake.process_gone = true;
}

TEST_CASE("move maps the same memory at the new place and adds zeroed pages") {
  FakeBackend fake;
  AddressSpace mm(fake);
  const uint64_t to = kBase + 64 * kPageSize;
  REQUIRE(mm.map_anonymous(kBase, 4, kRw) == 0);
  fill_pages(mm, kBase, 4);
  const abi::Handle memory = mm.region(0).backing->object->handle;
  const size_t objects = fake.objects();
  // Pages 1 and 2 of the four, plus two more.
  REQUIRE(mm.move(kBase + kPageSize, 2, to, 2, AddressSpace::OldRange::kUnmap) == 0);
  check_consistent(mm, fake);
  CHECK(fake.objects() == objects + 1);  // only the extra pages are new memory
  CHECK(fake.mappings.at(to).memory == memory);
  CHECK(fake.mappings.at(to).first_page == 1);
  CHECK(byte_at(mm, to) == 2);
  CHECK(byte_at(mm, to + 2 * kPageSize - 1) == 3);
  CHECK(byte_at(mm, to + 2 * kPageSize) == 0);
  CHECK(byte_at(mm, to + 4 * kPageSize - 1) == 0);
  CHECK_FALSE(mm.contains(kBase + kPageSize));
  CHECK_FALSE(mm.contains(kBase + 3 * kPageSize - 1));
  CHECK(byte_at(mm, kBase) == 1);
  CHECK(byte_at(mm, kBase + 3 * kPageSize) == 4);
  CHECK(mm.mapping_end(to) == to + 4 * kPageSize);
  // Two regions of different protection move together, each keeping its own.
  REQUIRE(mm.protect(to, 1, kProtRead) == 0);
  const uint64_t back = kBase + 8 * kPageSize;
  REQUIRE(mm.move(to, 4, back, 0, AddressSpace::OldRange::kUnmap) == 0);
  REQUIRE(mm.region_count() == 5);  // pages 0 and 3, then read-only, read-write, the extra
  CHECK(mm.region(2).start == back);
  CHECK(mm.region(2).prot == kProtRead);
  CHECK(mm.region(3).prot == kRw);
  CHECK(byte_at(mm, back) == 2);
  CHECK(byte_at(mm, back + kPageSize) == 3);
  CHECK_FALSE(mm.contains(to));
  check_consistent(mm, fake);
  fake.process_gone = true;
}

TEST_CASE("move refuses holes, overlaps, a taken place; a failure changes nothing") {
  FakeBackend fake;
  AddressSpace mm(fake);
  const uint64_t to = kBase + 64 * kPageSize;
  REQUIRE(mm.map_anonymous(kBase, 2, kRw) == 0);
  REQUIRE(mm.map_anonymous(kBase + 3 * kPageSize, 1, kRw) == 0);
  fill_pages(mm, kBase, 2);
  using Old = AddressSpace::OldRange;
  CHECK(mm.move(kBase, 4, to, 0, Old::kUnmap) == -kEFAULT);  // a hole at page 2
  CHECK(mm.move(kBase + 2 * kPageSize, 1, to, 0, Old::kUnmap) == -kEFAULT);
  CHECK(mm.move(kBase, 2, kBase + kPageSize, 0, Old::kUnmap) == -kEINVAL);      // overlaps
  CHECK(mm.move(kBase, 2, kBase + 2 * kPageSize, 0, Old::kUnmap) == -kENOMEM);  // taken
  fake.budget_pages = 3;
  CHECK(mm.move(kBase + kPageSize, 1, to, 4, Old::kUnmap) == -kENOMEM);  // no memory for 4
  CHECK(mm.region_count() == 2);
  CHECK(mm.region(0).pages == 2);
  CHECK(byte_at(mm, kBase + kPageSize) == 2);
  CHECK(fake.objects() == 2);
  // Fresh pages for the first of two kept regions, none for the second: the first given back.
  REQUIRE(mm.protect(kBase + kPageSize, 1, kProtRead) == 0);
  fake.budget_pages = 1;
  CHECK(mm.move(kBase, 2, to, 0, Old::kKeep) == -kENOMEM);
  CHECK(fake.objects() == 2);
  CHECK(fake.budget_pages == 1);
  CHECK(mm.region_count() == 3);
  check_consistent(mm, fake);
  fake.process_gone = true;
}

TEST_CASE("move undoes its mappings when one fails, at the new place or the old") {
  FakeBackend fake;
  AddressSpace mm(fake);
  const uint64_t to = kBase + 64 * kPageSize;
  using Old = AddressSpace::OldRange;
  REQUIRE(mm.map_anonymous(kBase, 1, kRw) == 0);
  REQUIRE(mm.map_anonymous(kBase + kPageSize, 1, kProtRead) == 0);
  fill_pages(mm, kBase, 1);
  const auto before = fake.mappings;
  for (int maps = 0; maps < 4; ++maps) {  // 2 at the new place, then 2 traded at the old
    fake.maps_before_failure = maps;
    CHECK(mm.move(kBase, 2, to, 0, Old::kKeep) == -kENOMEM);
    fake.maps_before_failure = -1;
    CHECK(mm.region_count() == 2);
    CHECK(fake.objects() == 2);
    CHECK(byte_at(mm, kBase) == 1);
    check_consistent(mm, fake);
    CHECK(fake.mappings.size() == before.size());
    for (const auto& [va, m] : before)
      CHECK(fake.mappings.at(va).memory == m.memory);
  }
  fake.maps_before_failure = 2;
  CHECK(mm.move(kBase, 2, to, 1, Old::kUnmap) == -kENOMEM);  // the extra page's map fails
  CHECK(fake.objects() == 2);
  check_consistent(mm, fake);
  fake.maps_before_failure = 3;
  CHECK(mm.move(kBase, 2, to, 1, Old::kKeep) == -kENOMEM);  // the first trade fails
  CHECK(fake.objects() == 2);
  check_consistent(mm, fake);
  fake.process_gone = true;
}

TEST_CASE("move keeping the old range (MREMAP_DONTUNMAP): private memory zeroed, shared kept") {
  FakeBackend fake;
  AddressSpace mm(fake);
  const uint64_t to = kBase + 64 * kPageSize;
  using Old = AddressSpace::OldRange;
  REQUIRE(mm.map_anonymous(kBase, 2, kRw) == 0);
  fill_pages(mm, kBase, 2);
  REQUIRE(mm.move(kBase, 2, to, 0, Old::kKeep) == 0);
  check_consistent(mm, fake);
  CHECK(byte_at(mm, to + kPageSize) == 2);
  CHECK(byte_at(mm, kBase + kPageSize) == 0);  // still mapped, fresh pages
  CHECK(mm.region(0).prot == kRw);
  CHECK(mm.region(0).backing != mm.region(1).backing);
  // MAP_SHARED: both places are the same memory.
  const uint64_t s = kBase + 16 * kPageSize;
  REQUIRE(mm.map_anonymous(s, 1, kRw, true) == 0);
  REQUIRE(mm.move(s, 1, to + 8 * kPageSize, 0, Old::kKeep) == 0);
  const uint8_t x = 'x';
  REQUIRE(mm.copy_out(s + 7, &x, 1));
  CHECK(byte_at(mm, to + 8 * kPageSize + 7) == 'x');
  CHECK(fake.mappings.at(s).memory == fake.mappings.at(to + 8 * kPageSize).memory);
  check_consistent(mm, fake);
  // Unmapping one place leaves the other.
  REQUIRE(mm.unmap(s, 1) == 0);
  CHECK(byte_at(mm, to + 8 * kPageSize + 7) == 'x');
  fake.process_gone = true;
}

std::vector<uint8_t> read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint64_t word_at(AddressSpace& mm, uint64_t address) {
  uint64_t w = 0;
  REQUIRE(mm.copy_in(&w, address, 8));
  return w;
}

std::string string_at(AddressSpace& mm, uint64_t address) {
  char s[256];
  REQUIRE(mm.copy_string(s, address, sizeof(s)) >= 0);
  return s;
}

TEST_CASE("a static executable and its initial stack, as Linux lays them out") {
  FakeBackend fake;
  AddressSpace mm(fake);
  // The test program: a static musl executable (linuxcompat:test_hello, built by musl-gcc).
  const std::vector<uint8_t> elf = read_file("linuxcompat/testdata/hello");
  ExecImage image;
  REQUIRE(load_elf(mm, elf.data(), elf.size(), &image) == 0);
  check_consistent(mm, fake);
  REQUIRE(image.entry >= 0x400000);
  REQUIRE(image.phnum > 0);
  // AT_PHDR points at the program headers as loaded: the first one's type is readable there.
  uint32_t type = 0;
  REQUIRE(mm.copy_in(&type, image.phdr, 4));
  uint64_t phoff = 0;
  std::memcpy(&phoff, elf.data() + 32, 8);
  uint32_t type_in_file = 0;
  std::memcpy(&type_in_file, elf.data() + phoff, 4);
  REQUIRE(type == type_in_file);
  // Text is executable and its mirror read-only.
  bool saw_exec = false;
  for (const auto& [va, m] : fake.mappings) {
    if ((m.rights & abi::kRightExecute) != 0) {
      saw_exec = true;
      REQUIRE_FALSE(fake.writable(m.memory));
    }
  }
  REQUIRE(saw_exec);

  const char* argv[] = {"/bin/hello", "one", "two"};
  const char* envp[] = {"HOME=/", "PATH=/bin"};
  StackInfo info = {
      "/bin/hello", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 0x178bfbff, 0, 0};
  uint64_t sp = 0;
  REQUIRE(build_stack(mm, argv, 3, envp, 2, image, info, &sp) == 0);
  REQUIRE(sp % 16 == 0);
  REQUIRE(sp < kStackTop);
  REQUIRE(word_at(mm, sp) == 3);
  REQUIRE(string_at(mm, word_at(mm, sp + 8)) == "/bin/hello");
  REQUIRE(string_at(mm, word_at(mm, sp + 24)) == "two");
  REQUIRE(word_at(mm, sp + 32) == 0);
  REQUIRE(string_at(mm, word_at(mm, sp + 40)) == "HOME=/");
  REQUIRE(string_at(mm, word_at(mm, sp + 48)) == "PATH=/bin");
  REQUIRE(word_at(mm, sp + 56) == 0);
  std::map<uint64_t, uint64_t> aux;
  for (uint64_t a = sp + 64;; a += 16) {
    const uint64_t key = word_at(mm, a);
    if (key == kAtNull) break;
    REQUIRE(aux.count(key) == 0);
    aux[key] = word_at(mm, a + 8);
  }
  REQUIRE(aux.at(kAtPhdr) == image.phdr);
  REQUIRE(aux.at(kAtPhnum) == image.phnum);
  REQUIRE(aux.at(kAtPhent) == 56);
  REQUIRE(aux.at(kAtPagesz) == 4096);
  REQUIRE(aux.at(kAtEntry) == image.entry);
  REQUIRE(aux.at(kAtHwcap) == 0x178bfbff);
  REQUIRE(aux.count(kAtSecure) == 1);
  REQUIRE(string_at(mm, aux.at(kAtExecfn)) == "/bin/hello");
  REQUIRE(string_at(mm, aux.at(kAtPlatform)) == "x86_64");
  uint8_t random[16];
  REQUIRE(mm.copy_in(random, aux.at(kAtRandom), 16));
  REQUIRE(std::memcmp(random, info.random, 16) == 0);
  fake.process_gone = true;
}

TEST_CASE("the loader refuses what is not a static x86-64 executable") {
  FakeBackend fake;
  AddressSpace mm(fake);
  std::vector<uint8_t> junk(4096, 0x7f);
  ExecImage image;
  REQUIRE(load_elf(mm, junk.data(), junk.size(), &image) == -kENOEXEC);
  REQUIRE(mm.region_count() == 0);
}

// ---- memmgr: the policy the address space follows ----

using Mm = svc::memmgr::MemoryManager;

// A memmgr on the host, reached by direct calls (the shim's placement in ic0 and ic2).
struct Memmgr {
  Memmgr() {
    svc::Env env;
    REQUIRE(service.start(env) == rpc::Status::kOk);
    client = Mm::Client(Mm::local_channel(&service));
  }
  svc::memmgr::Usage usage() const {
    Mm::UsageResponse resp;
    REQUIRE(client.usage(Mm::UsageRequest{}, resp) == rpc::Status::kOk);
    return resp.usage;
  }
  svc::memmgr::MemmgrService service;
  Mm::Client client;
};

struct Span {
  uint64_t start, pages;
  uint8_t rights;
  svc::memmgr::Backing backing;
  bool operator==(const Span& o) const {
    return start == o.start && pages == o.pages && rights == o.rights && backing == o.backing;
  }
};

std::ostream& operator<<(std::ostream& out, const Span& s) {
  return out << "[page " << (s.start - kBase) / kPageSize << " +" << s.pages << " rights "
             << int{s.rights} << " backing " << static_cast<int>(s.backing) << "]";
}

// memmgr's map of the address space, region by region (find).
std::vector<Span> memmgr_map(const Memmgr& m, const AddressSpace& mm) {
  std::vector<Span> out;
  uint64_t at = 0;
  for (;;) {
    Mm::FindRequest req;
    req.space = mm.memmgr_space();
    req.address = at;
    Mm::FindResponse resp;
    const rpc::Status s = m.client.find(req, resp);
    if (s == rpc::Status::kNotFound) break;
    REQUIRE(s == rpc::Status::kOk);
    out.push_back({resp.region.start, resp.region.pages, resp.region.rights, resp.region.backing});
    at = resp.region.start + resp.region.pages * kPageSize;
  }
  return out;
}

// The address space's regions as memmgr should hold them: neighbours with the same rights and
// backing merged.
std::vector<Span> expected_map(const AddressSpace& mm) {
  std::vector<Span> out;
  for (uint32_t i = 0; i < mm.region_count(); ++i) {
    const Region& r = mm.region(i);
    const auto backing = r.backing->file != nullptr ? svc::memmgr::Backing::kFile
                         : r.map_shared             ? svc::memmgr::Backing::kShared
                                                    : svc::memmgr::Backing::kPrivate;
    const Span span{r.start, r.pages, AddressSpace::memory_rights(r.prot), backing};
    if (!out.empty() && out.back().start + out.back().pages * kPageSize == span.start &&
        out.back().rights == span.rights && out.back().backing == span.backing) {
      out.back().pages += span.pages;
    } else {
      out.push_back(span);
    }
  }
  return out;
}

void check_memmgr(const Memmgr& m, const AddressSpace& mm) {
  REQUIRE(memmgr_map(m, mm) == expected_map(mm));
}

TEST_CASE("memmgr holds the address space's regions through every change, a fork's its own") {
  // The mappings made by the backend, or by memmgr (install, withdraw) as in the images.
  const bool memmgr_maps = GENERATE(false, true);
  FakeCore core;
  FakeBackend fake;
  if (memmgr_maps) fake.use(&core);
  Memmgr m;
  {
    AddressSpace mm(fake);
    REQUIRE(mm.open(&m.client, ~uint64_t{0} / kPageSize) == 0);
    REQUIRE(mm.memmgr_space() != 0);
    REQUIRE(mm.map_anonymous(kBase, 8, kRw) == 0);
    REQUIRE(mm.map_anonymous(kBase + 8 * kPageSize, 2, kRw, /*shared=*/true) == 0);
    REQUIRE(mm.map_anonymous(kBase + 16 * kPageSize, 4, kProtNone) == 0);
    check_memmgr(m, mm);
    REQUIRE(memmgr_map(m, mm).size() == 3);
    REQUIRE(mm.protect(kBase + 2 * kPageSize, 2, kProtRead) == 0);
    REQUIRE(mm.unmap(kBase + 5 * kPageSize, 1) == 0);
    check_memmgr(m, mm);
    REQUIRE(mm.protect(kBase + 2 * kPageSize, 2, kRw) == 0);  // merged again in memmgr
    check_memmgr(m, mm);
    // A refused protect (W^X across the object) leaves memmgr as the regions are.
    REQUIRE(mm.protect(kBase, 1, kProtRead | kProtExec) == -kEACCES);
    check_memmgr(m, mm);
    REQUIRE(mm.move(kBase + 8 * kPageSize, 2, kBase + 64 * kPageSize, 3,
                    AddressSpace::OldRange::kUnmap) == 0);
    REQUIRE(mm.grow(kBase + 8 * kPageSize, 2) == 0);
    check_memmgr(m, mm);
    // mmap's placement is memmgr's: the highest free range below the limit.
    // Regions now: [0, 5) and [6, 10) private, [16, 20) reserved, [64, 69) shared (in pages
    // from kBase).
    CHECK(mm.find_free(4, kBase + 70 * kPageSize) == kBase + 60 * kPageSize);
    CHECK(mm.find_free(64, kBase + 70 * kPageSize) == kBase - 64 * kPageSize);
    const auto before = m.usage();
    FakeBackend child_fake(fake);
    {
      AddressSpace child(child_fake);
      REQUIRE(child.copy_from(mm) == 0);
      REQUIRE(child.memmgr_space() != mm.memmgr_space());
      check_memmgr(m, child);
      REQUIRE(child.unmap(kBase, 4) == 0);
      check_memmgr(m, child);
      check_memmgr(m, mm);  // the parent's map did not change
      child.clear(true);
      REQUIRE(memmgr_map(m, child).empty());
      child_fake.process_gone = true;
    }
    CHECK(m.usage().spaces == before.spaces);  // the child's record went with it
    check_memmgr(m, mm);
    check_consistent(mm, fake);
    fake.process_gone = true;
  }
  CHECK(m.usage().spaces == 0);
  CHECK(m.usage().regions == 0);
  CHECK(core.drops == 0);  // memmgr deleted none of the handles it borrowed
  CHECK((core.calls > 0) == memmgr_maps);
}

TEST_CASE("memmgr's budget (RLIMIT_AS): growth beyond it is ENOMEM and nothing is made") {
  // The mappings made by the backend, or by memmgr (install, withdraw) as in the images.
  const bool memmgr_maps = GENERATE(false, true);
  FakeCore core;
  FakeBackend fake;
  if (memmgr_maps) fake.use(&core);
  Memmgr m;
  AddressSpace mm(fake);
  REQUIRE(mm.open(&m.client, 16) == 0);
  REQUIRE(mm.map_anonymous(kBase, 10, kRw) == 0);
  const size_t objects = fake.objects();
  REQUIRE(mm.map_anonymous(kBase + 32 * kPageSize, 7, kRw) == -kENOMEM);
  REQUIRE(mm.map_anonymous(kBase + 32 * kPageSize, 7, kProtNone) == -kENOMEM);  // counted too
  CHECK(fake.objects() == objects);
  REQUIRE(mm.map_anonymous(kBase + 32 * kPageSize, 6, kRw) == 0);
  REQUIRE(mm.grow(kBase + 10 * kPageSize, 1) == -kENOMEM);
  REQUIRE(mm.move(kBase, 2, kBase + 64 * kPageSize, 1, AddressSpace::OldRange::kUnmap) == -kENOMEM);
  REQUIRE(mm.move(kBase, 2, kBase + 64 * kPageSize, 0, AddressSpace::OldRange::kKeep) ==
          -kENOMEM);  // a kept range counts twice
  check_memmgr(m, mm);
  REQUIRE(mm.move(kBase, 2, kBase + 64 * kPageSize, 0, AddressSpace::OldRange::kUnmap) == 0);
  // A lower budget refuses growth only; unmapping makes room.
  REQUIRE(mm.set_budget(4) == 0);
  REQUIRE(mm.map_anonymous(kBase + 96 * kPageSize, 1, kRw) == -kENOMEM);
  REQUIRE(mm.unmap(kBase, 16) == 0);
  REQUIRE(mm.unmap(kBase + 32 * kPageSize, 6) == 0);
  REQUIRE(mm.unmap(kBase + 64 * kPageSize, 2) == 0);  // the two pages moved there
  REQUIRE(mm.map_anonymous(kBase + 96 * kPageSize, 2, kRw) == 0);
  check_memmgr(m, mm);
  // A fork's child has the same budget.
  FakeBackend child_fake(fake);
  {
    AddressSpace child(child_fake);
    REQUIRE(child.copy_from(mm) == 0);
    REQUIRE(child.map_anonymous(kBase, 2, kRw) == 0);
    REQUIRE(child.map_anonymous(kBase + 8 * kPageSize, 1, kRw) == -kENOMEM);
    child_fake.process_gone = true;
  }
  fake.process_gone = true;
}

TEST_CASE("a mapping larger than a memory object is several regions, one mapping to mremap") {
  // The mappings made by the backend, or by memmgr (install, withdraw) as in the images.
  const bool memmgr_maps = GENERATE(false, true);
  FakeCore core;
  FakeBackend fake;
  if (memmgr_maps) fake.use(&core);
  Memmgr m;
  {
    AddressSpace mm(fake);
    REQUIRE(mm.open(&m.client, ~uint64_t{0} / kPageSize) == 0);
    const uint64_t pages = 2 * abi::kMaxMemoryPages + 1;
    REQUIRE(mm.map_anonymous(kBase, pages, kRw) == 0);
    CHECK(mm.region_count() == 3);
    CHECK(fake.objects() == 3);
    check_consistent(mm, fake);
    check_memmgr(m, mm);
    REQUIRE(memmgr_map(m, mm).size() == 1);  // one region to memmgr
    CHECK(mm.mapping_end(kBase) == kBase + pages * kPageSize);
    // A copy across the objects' boundary.
    const uint64_t boundary = kBase + abi::kMaxMemoryPages * kPageSize;
    REQUIRE(mm.copy_out(boundary - 3, "across", 7));
    char back[7] = {};
    REQUIRE(mm.copy_in(back, boundary - 3, 7));
    CHECK(std::string(back) == "across");
    REQUIRE(mm.protect(boundary - kPageSize, 2, kProtRead) == 0);
    check_memmgr(m, mm);
    // Out of room for the pieces: nothing made, memmgr told nothing.
    fake.budget_pages = abi::kMaxMemoryPages + 1;
    const size_t objects = fake.objects();
    REQUIRE(mm.map_anonymous(kBase + 4 * abi::kMaxMemoryPages * kPageSize, pages, kRw) == -kENOMEM);
    CHECK(fake.objects() == objects);
    check_consistent(mm, fake);
    check_memmgr(m, mm);
    REQUIRE(mm.unmap(kBase, pages) == 0);
    CHECK(mm.region_count() == 0);
    CHECK(fake.objects() == 0);
    fake.process_gone = true;
  }
}

TEST_CASE("memmgr follows random changes: the two maps agree after each") {
  // The mappings made by the backend, or by memmgr (install, withdraw) as in the images.
  const bool memmgr_maps = GENERATE(false, true);
  FakeCore core;
  FakeBackend fake;
  if (memmgr_maps) fake.use(&core);
  Memmgr m;
  AddressSpace mm(fake);
  REQUIRE(mm.open(&m.client, 48) == 0);
  uint32_t seed = 12345;
  auto next = [&seed](uint32_t n) {
    seed = seed * 1103515245 + 12345;
    return (seed >> 16) % n;
  };
  constexpr uint32_t kProts[] = {kProtNone, kProtRead, kRw, kProtRead | kProtExec};
  int changed = 0;
  for (int step = 0; step < 3000; ++step) {
    const uint64_t start = kBase + next(64) * kPageSize;
    const uint64_t pages = 1 + next(8);
    int64_t e = 0;
    switch (next(6)) {
      case 0:
      case 1:
        e = mm.map_anonymous(start, pages, kProts[next(4)], next(3) == 0);
        break;
      case 2:
        e = mm.unmap(start, pages);
        break;
      case 3:
        e = mm.protect(start, pages, kProts[next(4)]);
        break;
      case 4:
        e = mm.move(start, pages, kBase + next(64) * kPageSize, next(3),
                    next(2) == 0 ? AddressSpace::OldRange::kUnmap : AddressSpace::OldRange::kKeep);
        break;
      default:
        e = mm.grow(start, pages);
        break;
    }
    changed += e == 0;
    INFO("step " << step);
    check_memmgr(m, mm);
    check_consistent(mm, fake);
  }
  CHECK(changed > 500);  // the sequence did change the map, not only fail (893 of 3000)
  CHECK((core.calls > 0) == memmgr_maps);
  CHECK(core.drops == 0);
  fake.process_gone = true;
}

TEST_CASE("memmgr and the regions agree through failures: mappings failing, memmgr's pool full") {
  // One failure at a time: the kernel failing a mapping now and then, or memmgr out of room.
  // (Both at once can leave memmgr's record wider than the mappings: a protect that memmgr
  // cannot record is undone, and that undo's mapping failing too leaves the region as it was
  // made; linux.md says so.)
  const bool full_pool = GENERATE(false, true);
  // The mappings made by the backend, or by memmgr (install, withdraw) as in the images.
  const bool memmgr_maps = GENERATE(false, true);
  FakeCore core;
  FakeBackend fake;
  if (memmgr_maps) fake.use(&core);
  Memmgr m;
  // Other address spaces take all but a few of memmgr's region records (one-page regions of
  // alternating rights, which do not merge), so that memmgr's refusals for want of room come up.
  constexpr uint32_t kLeft = 3;
  using svc::memmgr::MemmgrService;
  uint32_t other = 0;
  uint64_t page = 0;
  while (full_pool && m.usage().regions < MemmgrService::kMaxRegions - kLeft) {
    if (page % MemmgrService::kMaxRegionsPerSpace == 0) {
      Mm::OpenRequest open;
      open.budget = ~uint64_t{0} / kPageSize;
      Mm::OpenResponse opened;
      REQUIRE(m.client.open(open, opened) == rpc::Status::kOk);
      other = opened.space;
    }
    Mm::MapRequest req;
    req.space = other;
    req.start = kBase + (page % MemmgrService::kMaxRegionsPerSpace) * kPageSize;
    req.pages = 1;
    req.rights = page % 2 == 0 ? 1 : 3;
    Mm::MapResponse resp;
    REQUIRE(m.client.map(req, resp) == rpc::Status::kOk);
    ++page;
  }
  AddressSpace mm(fake);
  REQUIRE(mm.open(&m.client, 48) == 0);
  uint32_t seed = 777;
  auto next = [&seed](uint32_t n) {
    seed = seed * 1103515245 + 12345;
    return (seed >> 16) % n;
  };
  constexpr uint32_t kProts[] = {kProtNone, kProtRead, kRw, kProtRead | kProtExec};
  int failed = 0;
  for (int step = 0; step < 3000; ++step) {
    // Now and then one of the next mappings fails (out of memory in the kernel).
    fake.maps_before_failure = !full_pool && next(8) == 0 ? static_cast<int>(next(3)) : -1;
    const uint64_t start = kBase + next(48) * kPageSize;
    const uint64_t pages = 1 + next(6);
    const uint32_t op = next(5);
    INFO("step " << step << " op " << op << " at page " << (start - kBase) / kPageSize << " +"
                 << pages << ", a map failing after " << fake.maps_before_failure);
    int64_t e = 0;
    switch (op) {
      case 0:
        e = mm.map_anonymous(start, pages, kProts[next(4)], next(3) == 0);
        break;
      case 1:
        e = mm.unmap(start, pages);
        break;
      case 2:
        e = mm.protect(start, pages, kProts[next(4)]);
        break;
      case 3:
        e = mm.move(start, pages, kBase + next(48) * kPageSize, next(3),
                    next(2) == 0 ? AddressSpace::OldRange::kUnmap : AddressSpace::OldRange::kKeep);
        break;
      default:
        e = mm.grow(start, pages);
        break;
    }
    failed += e == -kENOMEM;
    check_consistent(mm, fake);
    check_memmgr(m, mm);
  }
  CHECK(failed > 300);  // refusals or failures did come up
  fake.process_gone = true;
}

}  // namespace

// The handlers' services (shim.cc has the real ones); these tests run no handler.
const ShimServices& shim_services() {
  static const ShimServices services = host_test_services();
  return services;
}

}  // namespace hmk::lx
