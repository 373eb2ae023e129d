#include "linuxcompat/task.h"

namespace hmk::lx {

int64_t File::ioctl(Task&, uint64_t, uint64_t) {
  return -kENOTTY;  // not a terminal (nor any device with ioctls)
}

WaitQueue* File::wait_queue(bool) {
  return nullptr;  // files that never wait
}

FdTable::~FdTable() {
  close_all();
}

void FdTable::close_all() {
  for (File*& f : files_) {
    if (f != nullptr) f->release();
    f = nullptr;
  }
}

int32_t FdTable::lowest_free() const {
  for (int32_t fd = 0; fd < kMaxFds; ++fd)
    if (files_[fd] == nullptr) return fd;
  return static_cast<int32_t>(-kEMFILE);
}

void FdTable::copy_from(const FdTable& parent) {
  for (int32_t fd = 0; fd < kMaxFds; ++fd) {
    if (parent.files_[fd] != nullptr) parent.files_[fd]->acquire();
    install(fd, parent.files_[fd]);
  }
}

void FdTable::install(int32_t fd, File* file) {
  if (files_[fd] != nullptr) files_[fd]->release();
  files_[fd] = file;
}

}  // namespace hmk::lx
