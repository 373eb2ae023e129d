// Intrusive doubly-linked lists: the only container the kernel uses for queues, so that no
// list operation allocates and an object can leave every list before it dies.
#pragma once

#include <stddef.h>

namespace hmk {

// A link embedded in an object. Unlinked nodes point at themselves, so membership is a load.
struct ListNode {
  ListNode* prev = this;
  ListNode* next = this;

  constexpr ListNode() = default;
  ListNode(const ListNode&) = delete;
  ListNode& operator=(const ListNode&) = delete;

  bool linked() const { return next != this; }
  void unlink() {
    prev->next = next;
    next->prev = prev;
    prev = next = this;
  }
};

// A circular list with a sentinel head, of T objects linked through their member `Node`.
template <typename T, ListNode T::*Node>
class List {
 public:
  constexpr List() = default;
  List(const List&) = delete;
  List& operator=(const List&) = delete;

  bool empty() const { return !head_.linked(); }
  T* front() const { return empty() ? nullptr : from_node(head_.next); }
  T* back() const { return empty() ? nullptr : from_node(head_.prev); }

  void push_back(T* item) { insert_before(&head_, &(item->*Node)); }
  void push_front(T* item) { insert_before(head_.next, &(item->*Node)); }
  static void remove(T* item) { (item->*Node).unlink(); }
  T* pop_front() {
    T* item = front();
    if (item != nullptr) remove(item);
    return item;
  }
  // The element after `item`, or nullptr at the end.
  T* next(const T* item) const {
    const ListNode* n = (item->*Node).next;
    return n == &head_ ? nullptr : from_node(const_cast<ListNode*>(n));
  }
  size_t size() const {
    size_t n = 0;
    // bound: one step per element; the ring ends at head_
    for (const ListNode* p = head_.next; p != &head_; p = p->next)
      ++n;
    return n;
  }
  bool contains(const T* item) const {
    // bound: one step per element; the ring ends at head_
    for (const ListNode* p = head_.next; p != &head_; p = p->next) {
      if (p == &(item->*Node)) return true;
    }
    return false;
  }

 private:
  static void insert_before(ListNode* at, ListNode* node) {
    node->prev = at->prev;
    node->next = at;
    at->prev->next = node;
    at->prev = node;
  }
  // The enclosing object of a node: the member's offset, taken against a dummy well-aligned
  // (non-null, so the sanitizers do not object) address, the way offsetof works.
  static T* from_node(ListNode* node) {
    constexpr size_t kProbe = 4096;
    auto offset = reinterpret_cast<size_t>(&(reinterpret_cast<T*>(kProbe)->*Node)) - kProbe;
    return reinterpret_cast<T*>(reinterpret_cast<char*>(node) - offset);
  }

  ListNode head_;
};

}  // namespace hmk
