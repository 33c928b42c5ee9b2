#include <gort/gort.hpp>
int main() { return 0; }
