// How etcd spells "every key starting with a prefix" as [key, range_end).
#pragma once

#include <string>
#include <string_view>

namespace kafscale::etcd {

// The range_end that makes [prefix, range_end) cover exactly the keys that
// start with `prefix`: the prefix with its last byte below 0xff incremented
// and what follows dropped; "\0" (every key from `prefix` on) when there is
// no such byte, which for the empty prefix means the whole key space (etcd
// reads key "\0" with range_end "\0" as "all keys").
std::string PrefixRangeEnd(std::string_view prefix);
// The key a prefix range starts at: the prefix, or "\0" for the empty one.
std::string PrefixRangeStart(std::string_view prefix);

}  // namespace kafscale::etcd
