// The packet loop of one pass over a trace, on one thread or two (docs/performance.md).
//
// Every record is decoded and shown to the `near` analyzers on the calling (reading) thread. The
// `far` analyzers see the same packets, in the same order, either right away (one thread) or on
// an analysis thread fed with batches of copied records (two threads). Analyzers of one group
// never share state with the other group's, so the result is the same either way.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ctana/analyzer.hpp"
#include "ctana/decode.hpp"
#include "ctana/ip_reassembly.hpp"
#include "ctana/packet.hpp"

namespace ctana {

class Pipeline {
 public:
  // With `reasm`, IP fragments go through it on the reading thread and each datagram it completes
  // is decoded and shown, right after its last fragment, to the analyzers that take datagrams.
  Pipeline(std::vector<Analyzer*> near, std::vector<Analyzer*> far, bool threaded, IpReassembler* reasm = nullptr,
           DecodeOptions decode = {});
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  bool threaded() const { return worker_.joinable(); }
  // Decode one record and hand it to the analyzers. The record's views may end with this call.
  void push(const Record& r);
  // Wait until the far analyzers have seen every packet (their finish() is the caller's). An
  // exception thrown by a far analyzer is thrown again here.
  void drain();

 private:
  struct Batch;
  Batch* room(std::size_t need);
  Batch* acquire();
  void publish();
  void work();
  void stop();

  std::vector<Analyzer*> near_, far_, near_dg_, far_dg_;  // (_dg_: those that take datagrams)
  IpReassembler* reasm_ = nullptr;
  DecodeOptions dopt_;
  Packet pkt_;                      // one-thread mode
  Record dg_rec_;                   // one-thread mode: the datagram being analysed
  Packet dg_pkt_;
  std::vector<std::unique_ptr<Batch>> batches_;
  Batch* cur_ = nullptr;            // being filled by the reading thread
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<Batch*> free_;
  std::deque<Batch*> full_;         // oldest first
  bool done_ = false;
  std::exception_ptr error_;
  std::thread worker_;
};

}  // namespace ctana
