#include "linuxcompat/task.h"

namespace hmk::lx {

int64_t File::ioctl(Task&, uint64_t, uint64_t) {
  return -kENOTTY;  // not a terminal (nor any device with ioctls)
}

FdTable::~FdTable() {
  for (File*& f : files_) {
    if (f != nullptr) f->release();
    f = nullptr;
  }
}

void FdTable::install(int32_t fd, File* file) {
  if (files_[fd] != nullptr) files_[fd]->release();
  files_[fd] = file;
}

}  // namespace hmk::lx
