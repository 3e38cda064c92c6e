#include "group/group.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "group/consumer_protocol.h"

namespace kafscale::group {

namespace {

constexpr std::array<std::pair<GroupState, std::string_view>, 5> kStateNames{{
    {GroupState::kEmpty, "Empty"},
    {GroupState::kPreparingRebalance, "PreparingRebalance"},
    {GroupState::kCompletingRebalance, "CompletingRebalance"},
    {GroupState::kStable, "Stable"},
    {GroupState::kDead, "Dead"},
}};

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](unsigned char x, unsigned char y) {
    return std::tolower(x) == std::tolower(y);
  });
}

bool Offers(const std::vector<Protocol>& protocols, std::string_view name) {
  return std::any_of(protocols.begin(), protocols.end(), [&](const Protocol& p) { return p.name == name; });
}

}  // namespace

std::string_view GroupStateName(GroupState state) {
  for (const auto& [value, name] : kStateNames) {
    if (value == state) return name;
  }
  return "Unknown";
}

std::optional<GroupState> ParseGroupState(std::string_view name) {
  for (const auto& [value, known] : kStateNames) {
    if (EqualsIgnoringCase(known, name)) return value;
  }
  return std::nullopt;
}

bool IsClassicGroupType(std::string_view type) { return EqualsIgnoringCase(type, "classic"); }

const std::string* Member::MetadataFor(std::string_view protocol) const {
  for (const Protocol& p : protocols) {
    if (p.name == protocol) return &p.metadata;
  }
  return nullptr;
}

Group::Group(std::string id, const boost::asio::any_io_executor& executor)
    : timer(executor), writes(executor), id_(std::move(id)) {}

Member* Group::FindMember(const std::string& member_id) {
  auto it = members_.find(member_id);
  return it == members_.end() ? nullptr : &it->second;
}

Member& Group::AddMember(Member member) {
  if (members_.empty()) protocol_type = member.protocol_type;
  if (leader_id.empty()) leader_id = member.id;
  if (member.instance_id) static_members_[*member.instance_id] = member.id;
  const std::string id = member.id;
  return members_.insert_or_assign(id, std::move(member)).first->second;
}

void Group::RemoveMember(const std::string& member_id) {
  auto it = members_.find(member_id);
  if (it == members_.end()) return;
  if (it->second.instance_id) static_members_.erase(*it->second.instance_id);
  members_.erase(it);
  awaiting_sync.erase(member_id);
  if (leader_id == member_id) leader_id = members_.empty() ? std::string() : members_.begin()->first;
}

std::optional<std::string> Group::StaticMemberId(const std::string& instance_id) const {
  auto it = static_members_.find(instance_id);
  if (it == static_members_.end()) return std::nullopt;
  return it->second;
}

bool Group::IsStaticMemberFenced(const std::optional<std::string>& instance_id, const std::string& member_id) const {
  if (!instance_id) return false;
  const std::optional<std::string> holder = StaticMemberId(*instance_id);
  return holder.has_value() && *holder != member_id;
}

Member& Group::ReplaceStaticMember(const std::string& instance_id, const std::string& new_member_id) {
  const std::string old_id = static_members_.at(instance_id);
  auto node = members_.extract(old_id);
  node.key() = new_member_id;
  node.mapped().id = new_member_id;
  Member& member = members_.insert(std::move(node)).position->second;
  static_members_[instance_id] = new_member_id;
  if (leader_id == old_id) leader_id = new_member_id;
  if (awaiting_sync.erase(old_id) > 0) awaiting_sync.insert(new_member_id);
  return member;
}

bool Group::SupportsProtocols(const std::string& type, const std::vector<Protocol>& protocols) const {
  if (type.empty() || protocols.empty()) return false;
  if (members_.empty()) return true;
  if (type != protocol_type) return false;
  return std::any_of(protocols.begin(), protocols.end(), [&](const Protocol& offered) {
    return std::all_of(members_.begin(), members_.end(),
                       [&](const auto& entry) { return Offers(entry.second.protocols, offered.name); });
  });
}

std::string Group::SelectProtocol() const {
  const Member& leader = members_.at(leader_id);
  std::vector<std::string> candidates;  // in the leader's order, for tie-breaks
  for (const Protocol& p : leader.protocols) {
    const bool common = std::all_of(members_.begin(), members_.end(),
                                    [&](const auto& entry) { return Offers(entry.second.protocols, p.name); });
    if (common) candidates.push_back(p.name);
  }
  std::map<std::string, int> votes;
  for (const auto& [id, member] : members_) {
    for (const Protocol& p : member.protocols) {
      if (std::find(candidates.begin(), candidates.end(), p.name) != candidates.end()) {
        ++votes[p.name];
        break;
      }
    }
  }
  std::string selected;
  int best = -1;
  for (const std::string& name : candidates) {
    if (votes[name] > best) {
      best = votes[name];
      selected = name;
    }
  }
  return selected;
}

bool Group::AllMembersJoined() const {
  return pending_members.empty() && std::all_of(members_.begin(), members_.end(), [](const auto& entry) {
           return entry.second.pending_join != nullptr;
         });
}

std::chrono::milliseconds Group::RebalanceTimeout() const {
  std::chrono::milliseconds longest{0};
  for (const auto& [id, member] : members_) longest = std::max(longest, member.rebalance_timeout);
  return longest;
}

bool Group::ElectJoinedLeader() {
  if (auto* leader = FindMember(leader_id); leader && leader->pending_join) return true;
  for (const auto& [id, member] : members_) {
    if (member.pending_join) {
      leader_id = id;
      return true;
    }
  }
  return false;
}

void Group::InitNextGeneration() {
  ++generation;
  awaiting_sync.clear();
  if (members_.empty()) {
    protocol_name.reset();
    state = GroupState::kEmpty;
    return;
  }
  protocol_name = SelectProtocol();
  state = GroupState::kCompletingRebalance;
  for (const auto& [id, member] : members_) awaiting_sync.insert(id);
}

std::optional<std::set<std::string>> Group::SubscribedTopics() const {
  if (protocol_type != kConsumerProtocolType || !protocol_name) return std::nullopt;
  std::set<std::string> topics;
  for (const auto& [id, member] : members_) {
    const std::string* metadata = member.MetadataFor(*protocol_name);
    if (!metadata) return std::nullopt;
    auto subscribed = DecodeSubscribedTopics(*metadata);
    if (!subscribed) return std::nullopt;
    topics.insert(subscribed->begin(), subscribed->end());
  }
  return topics;
}

Clock::time_point Group::NextDeadline() const {
  Clock::time_point next = Clock::time_point::max();
  for (const auto& [id, lapses] : pending_members) next = std::min(next, lapses);
  for (const auto& [id, member] : members_) {
    if (!member.pending_join && !member.pending_sync) next = std::min(next, member.session_deadline);
  }
  if (state == GroupState::kPreparingRebalance) next = std::min(next, join_deadline);
  if ((state == GroupState::kCompletingRebalance || state == GroupState::kStable) && !awaiting_sync.empty()) {
    next = std::min(next, sync_deadline);
  }
  return next;
}

}  // namespace kafscale::group
