// A domain that exits at once (//test/boot:bootstrap_test): init reports it as a failure and
// revokes its endpoint, so that its clients' calls fail instead of waiting forever.
int main() {
  return 3;
}
