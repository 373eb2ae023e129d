#include "tools/capnpc-hmk/growth.h"

#include <algorithm>

namespace hmk::capnpc {

Growth Growth::none() {
  Growth g;
  for (auto& row : g.m)
    row.fill(-1);
  return g;
}

Growth Growth::identity() {
  Growth g = none();
  for (int r = 0; r < 8; ++r)
    g.m[r][r] = 0;
  return g;
}

Growth Growth::scalar(int size) {
  Growth g = none();
  for (int r = 0; r < 8; ++r) {
    const int pad = (size - r % size) % size;
    g.m[r][(r + pad + size) % 8] = pad + size;
  }
  return g;
}

Growth Growth::bytes(int64_t n) {
  Growth g = none();
  for (int r = 0; r < 8; ++r)
    for (int64_t k = std::max<int64_t>(0, n - 7); k <= n; ++k)
      g.m[r][(r + k) % 8] = std::max(g.m[r][(r + k) % 8], k);
  return g;
}

Growth Growth::then(const Growth& next) const {
  Growth g = none();
  for (int r = 0; r < 8; ++r)
    for (int s = 0; s < 8; ++s) {
      if (m[r][s] < 0) continue;
      for (int t = 0; t < 8; ++t)
        if (next.m[s][t] >= 0) g.m[r][t] = std::max(g.m[r][t], sat(m[r][s] + next.m[s][t]));
    }
  return g;
}

Growth Growth::either(const Growth& other) const {
  Growth g = *this;
  for (int r = 0; r < 8; ++r)
    for (int s = 0; s < 8; ++s)
      g.m[r][s] = std::max(g.m[r][s], other.m[r][s]);
  return g;
}

Growth Growth::repeat(int64_t n) const {
  Growth all = identity();
  Growth cur = identity();
  for (int64_t i = 0; i < n; ++i) {
    Growth next = cur.then(*this);
    if (next.m == cur.m) break;  // an element that takes no room
    cur = next;
    all = all.either(cur);
  }
  return all;
}

int64_t Growth::from_start() const {
  return *std::max_element(m[0].begin(), m[0].end());
}

}  // namespace hmk::capnpc
