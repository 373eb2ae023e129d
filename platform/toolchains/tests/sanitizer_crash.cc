// Misbehaves on purpose; sanitizer_crash_test.sh expects the sanitizers to
// stop it. Usage: sanitizer_crash {asan|ubsan}
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  if (std::strcmp(argv[1], "asan") == 0) {
    volatile int n = 4;
    int* p = new int[n];
    p[n] = 1;  // heap-buffer-overflow
    delete[] p;
  } else if (std::strcmp(argv[1], "ubsan") == 0) {
    volatile int big = 0x7fffffff;
    int r = big + 1;  // signed overflow
    std::printf("%d\n", r);
  }
  std::puts("sanitizers did not fire");
  return 0;
}
