/* Forks, lets the child exit and waits for it, argv[1] times; exits 0 if every child's status
   came back right. The shim's quota use after it (printed on the console) must not depend on
   the count: what a process takes is given back when it ends. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  const int n = argc > 1 ? atoi(argv[1]) : 1000;
  for (int i = 0; i < n; ++i) {
    const pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) _exit(i & 0x7f);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != (i & 0x7f))
      return 3;
  }
  return 0;
}
