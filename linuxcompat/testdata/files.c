// The file system calls a program makes, printed so that the output is the same on Linux and
// under the shim (no inode numbers, times, sizes of directories or file system names): run as
// `files DIR` with DIR an empty scratch directory. shim_boot_test runs it on the host and on
// HMK and compares.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char* name_of(int e) {
  switch (e) {
    case 0:
      return "ok";
    case ENOENT:
      return "ENOENT";
    case EEXIST:
      return "EEXIST";
    case ENOTDIR:
      return "ENOTDIR";
    case EISDIR:
      return "EISDIR";
    case ENOTEMPTY:
      return "ENOTEMPTY";
    case EINVAL:
      return "EINVAL";
    case EBADF:
      return "EBADF";
    case ELOOP:
      return "ELOOP";
    case EXDEV:
      return "EXDEV";
    case ENAMETOOLONG:
      return "ENAMETOOLONG";
    default:
      return "other";
  }
}

// "ok" or the errno's name of a call that returns -1 on failure.
#define RESULT(call) name_of((call) < 0 ? errno : 0)

static int compare(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

// The names in `path` (readdir: getdents64), sorted, with their d_type.
static void list(const char* path) {
  DIR* d = opendir(path);
  if (d == NULL) {
    printf("opendir %s: %s\n", path, name_of(errno));
    return;
  }
  char* names[64];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL && n < 64) {
    char* line = malloc(300);
    snprintf(line, 300, "%s(%d)", e->d_name, e->d_type);
    names[n++] = line;
  }
  closedir(d);
  qsort(names, n, sizeof(names[0]), compare);
  printf("%s:", path);
  for (int i = 0; i < n; ++i) {
    printf(" %s", names[i]);
    free(names[i]);
  }
  printf("\n");
}

static void files(void) {
  int fd = open("data", O_CREAT | O_EXCL | O_RDWR, 0666);
  printf("create: %s\n", RESULT(fd));
  printf("write: %zd\n", write(fd, "hello, files\n", 13));
  printf("lseek: %ld\n", (long)lseek(fd, 0, SEEK_SET));
  char buf[64];
  ssize_t n = read(fd, buf, sizeof(buf));
  printf("read %zd: %.*s", n, (int)n, buf);
  printf("pwrite: %zd\n", pwrite(fd, "H", 1, 0));
  n = pread(fd, buf, 5, 0);
  printf("pread %zd: %.*s\n", n, (int)n, buf);
  struct stat st;
  fstat(fd, &st);
  printf("fstat: regular %d mode %o size %ld nlink %ld\n", S_ISREG(st.st_mode), st.st_mode & 07777,
         (long)st.st_size, (long)st.st_nlink);
  printf("O_EXCL again: %s\n", RESULT(open("data", O_CREAT | O_EXCL | O_RDWR, 0666)));
  int app = open("data", O_WRONLY | O_APPEND);
  lseek(app, 0, SEEK_SET);
  write(app, "appended\n", 9);
  close(app);
  printf("size after append: %ld\n", (long)(stat("data", &st) == 0 ? st.st_size : -1));
  int trunc = open("data2", O_CREAT | O_WRONLY | O_TRUNC, 0600);
  write(trunc, "0123456789", 10);
  ftruncate(trunc, 4);
  close(trunc);
  stat("data2", &st);
  printf("data2: mode %o size %ld\n", st.st_mode & 07777, (long)st.st_size);
  close(fd);
}

static void directories(void) {
  printf("mkdir: %s\n", RESULT(mkdir("dir", 0750)));
  printf("mkdir again: %s\n", RESULT(mkdir("dir", 0750)));
  mkdir("dir/sub", 0755);
  close(open("dir/b", O_CREAT | O_WRONLY, 0644));
  close(open("dir/a", O_CREAT | O_WRONLY, 0644));
  printf("symlink: %s\n", RESULT(symlink("a", "dir/link")));
  list("dir");
  struct stat st;
  stat("dir", &st);
  printf("dir: mode %o\n", st.st_mode & 07777);
  printf("rename: %s\n", RESULT(rename("dir/a", "dir/c")));
  list("dir");
  char target[64] = {0};
  printf("readlink: %zd %s\n", readlink("dir/link", target, sizeof(target)), target);
  printf("stat dangling: %s\n", RESULT(stat("dir/link", &st)));
  const char* result = RESULT(lstat("dir/link", &st));
  printf("lstat dangling: %s link %d\n", result, S_ISLNK(st.st_mode));
  printf("rmdir full: %s\n", RESULT(rmdir("dir")));
  printf("unlink dir: %s\n", RESULT(unlink("dir")));
  printf("rename into itself: %s\n", RESULT(rename("dir", "dir/sub/x")));
  printf("chdir: %s\n", RESULT(chdir("dir/sub")));
  char cwd[4096];
  const char* got = getcwd(cwd, sizeof(cwd));
  printf("getcwd ends with /dir/sub: %d\n",
         got != NULL && strlen(cwd) >= 8 && strcmp(cwd + strlen(cwd) - 8, "/dir/sub") == 0);
  printf("chdir ..: %s\n", RESULT(chdir("../..")));
  printf("rmdir sub: %s\n", RESULT(rmdir("dir/sub")));
}

static void descriptors(void) {
  int fd = open("data", O_RDONLY);
  printf("unlink open file: %s\n", RESULT(unlink("data")));
  char buf[64];
  ssize_t n = read(fd, buf, sizeof(buf));
  printf("read after unlink %zd: %.*s", n, (int)n, buf);
  struct stat st;
  fstat(fd, &st);
  printf("nlink after unlink: %ld\n", (long)st.st_nlink);
  int copy = dup(fd);
  printf("dup is the next fd: %d\n", copy == fd + 1);
  printf("dup2: %d\n", dup2(fd, 20));
  printf("F_GETFD after dup3: %d\n", fcntl(dup3(fd, 21, O_CLOEXEC), F_GETFD));
  printf("F_GETFL: %o\n", fcntl(fd, F_GETFL));
  const char* first = RESULT(close(20));
  printf("close twice: %s %s\n", first, RESULT(close(20)));
  printf("read bad fd: %s\n", RESULT(read(99, buf, 1)));
}

static void errors(void) {
  struct stat st;
  char name[300];
  memset(name, 'n', sizeof(name));
  name[299] = 0;
  printf("ENOENT: %s\n", RESULT(stat("missing/x", &st)));
  printf("ENOTDIR: %s\n", RESULT(stat("data2/x", &st)));
  printf("trailing slash: %s\n", RESULT(stat("data2/", &st)));
  printf("EISDIR: %s\n", RESULT(open("dir", O_WRONLY)));
  printf("ENAMETOOLONG: %s\n", RESULT(stat(name, &st)));
  symlink("loop2", "loop1");
  symlink("loop1", "loop2");
  printf("ELOOP: %s\n", RESULT(stat("loop1", &st)));
  printf("O_NOFOLLOW: %s\n", RESULT(open("loop1", O_RDONLY | O_NOFOLLOW)));
}

static void special(const char* argv0) {
  char exe[4096] = {0};
  struct stat a, b;
  printf("/proc/self/exe: %s\n", RESULT(readlink("/proc/self/exe", exe, sizeof(exe) - 1)));
  printf("exe is argv[0]: %d\n", stat(exe, &a) == 0 && stat(argv0, &b) == 0 &&
                                     a.st_ino == b.st_ino && a.st_dev == b.st_dev);
  int null = open("/dev/null", O_RDWR);
  char buf[8];
  const ssize_t written = write(null, "x", 1);
  printf("/dev/null: write %zd read %zd\n", written, read(null, buf, sizeof(buf)));
  int zero = open("/dev/zero", O_RDONLY);
  memset(buf, 1, sizeof(buf));
  const ssize_t got = read(zero, buf, sizeof(buf));
  printf("/dev/zero: read %zd, zeros %d\n", got, buf[0] == 0 && buf[7] == 0);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  umask(022);
  if (chdir(argv[1]) != 0) {
    perror("chdir");
    return 1;
  }
  files();
  directories();
  descriptors();
  errors();
  if (argv[0][0] == '/') special(argv[0]);
  return 0;
}
