// The target that builds the tests' precompiled header (tests/CMakeLists.txt);
// it does nothing itself.
int main() { return 0; }
