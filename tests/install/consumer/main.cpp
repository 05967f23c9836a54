// A downstream project using an installed ptspec through find_package(ptspec).
#include "model/arm64/stage2.hpp"
#include <cstdio>
int main() {
  auto cfg = ptspec::arm64::Stage2Config::make(4096, 40);
  ptspec::arm64::Stage2 s(cfg);
  int r = s.map(0x40000000, 0x1000, 0x80000000, ptspec::arm64::Prot{true, true, false, false});
  std::printf("map=%d pa=%#lx\n", r, (unsigned long)s.translate(0x40000000).pa);
  return r;
}
