/* The loader test's program (linuxcompat/address_space_test.cc) and the first program the shim
   ran: a static musl executable that prints its arguments and exits with status 3. */
#include <stdio.h>

int main(int argc, char** argv) {
  printf("hello from %s", argv[0]);
  for (int i = 1; i < argc; ++i)
    printf(" %s", argv[i]);
  printf("\n");
  return 3;
}
