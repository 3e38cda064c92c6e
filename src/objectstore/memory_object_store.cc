#include "objectstore/memory_object_store.h"

#include "objectstore/store_support.h"

namespace kafscale {

Status MemoryObjectStore::Put(const std::string& key, const ObjectBody& data) {
  if (Status s = ValidateObjectKey(key); !s.ok()) return s;
  std::lock_guard lock(mutex_);
  objects_[key] = StoredObject{data.Flatten(), std::to_string(++puts_)};
  return Status::OK();
}

Status MemoryObjectStore::PutIfAbsent(const std::string& key, const ObjectBody& data) {
  if (Status s = ValidateObjectKey(key); !s.ok()) return s;
  std::lock_guard lock(mutex_);
  if (objects_.contains(key)) return Status::AlreadyExists("object " + key + " already exists");
  objects_.emplace(key, StoredObject{data.Flatten(), std::to_string(++puts_)});
  return Status::OK();
}

Status MemoryObjectStore::Get(const std::string& key, std::string* out, uint64_t offset, uint64_t length) {
  if (Status s = ValidateObjectKey(key); !s.ok()) return s;
  std::lock_guard lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("no object " + key);
  Result<uint64_t> count = RangeLength(key, it->second.data.size(), offset, length);
  if (!count.ok()) return count.status();
  out->assign(it->second.data, offset, *count);
  return Status::OK();
}

Status MemoryObjectStore::Head(const std::string& key, ObjectInfo* info) {
  if (Status s = ValidateObjectKey(key); !s.ok()) return s;
  std::lock_guard lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("no object " + key);
  *info = ObjectInfo{key, it->second.data.size(), it->second.etag};
  return Status::OK();
}

Status MemoryObjectStore::List(const std::string& prefix, const std::string& continuation, size_t max_keys,
                               ListPage* page) {
  if (Status s = ValidateMaxKeys(max_keys); !s.ok()) return s;
  // Copied first: callers may pass page->next_continuation itself.
  const std::string start_after = continuation;
  page->objects.clear();
  page->next_continuation.clear();
  std::lock_guard lock(mutex_);
  auto it = start_after < prefix ? objects_.lower_bound(prefix) : objects_.upper_bound(start_after);
  for (; it != objects_.end() && it->first.starts_with(prefix); ++it) {
    if (page->objects.size() == max_keys) {
      page->next_continuation = page->objects.back().key;
      break;
    }
    page->objects.push_back(ObjectInfo{it->first, it->second.data.size(), it->second.etag});
  }
  return Status::OK();
}

Status MemoryObjectStore::DeleteBatch(const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    if (Status s = ValidateObjectKey(key); !s.ok()) return s;
  }
  std::lock_guard lock(mutex_);
  for (const std::string& key : keys) objects_.erase(key);
  return Status::OK();
}

}  // namespace kafscale
