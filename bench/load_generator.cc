#include "bench/load_generator.h"

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "argus/webhooks/v1/event_ingest.grpc.pb.h"

namespace argus::bench {
namespace {

namespace v1 = ::argus::webhooks::v1;

class Publisher {
 public:
  explicit Publisher(const LoadOptions& options)
      : options_(options),
        stub_(v1::EventIngest::NewStub(
            grpc::CreateChannel(options.ingest_address, grpc::InsecureChannelCredentials()))),
        padding_(static_cast<size_t>(options.payload_bytes), 'x') {}

  LoadResult Run() {
    const int per_call = std::max(1, options_.batch_size);
    const absl::Time start = absl::Now();
    const absl::Time end = start + options_.duration;
    int64_t sent = 0;
    for (int64_t call = 0;; ++call) {
      if (options_.max_events > 0 && sent >= options_.max_events) break;
      absl::Time due =
          options_.rate > 0 ? start + absl::Seconds(call * per_call / options_.rate) : absl::Now();
      if (due >= end) break;
      absl::SleepFor(due - absl::Now());
      {
        std::unique_lock<std::mutex> lock(mu_);
        done_.wait(lock, [&] { return outstanding_ < options_.concurrency; });
        ++outstanding_;
      }
      if (absl::Now() >= end) {
        Finished();
        break;
      }
      int n = per_call;
      if (options_.max_events > 0)
        n = static_cast<int>(std::min<int64_t>(n, options_.max_events - sent));
      Issue(sent, n);
      sent += n;
    }
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return outstanding_ == 0; });
    result_.elapsed = last_answer_ - start;
    return std::move(result_);
  }

 private:
  struct Call {
    grpc::ClientContext context;
    v1::PublishRequest single;
    v1::PublishResponse single_response;
    v1::PublishBatchRequest batch;
    v1::PublishBatchResponse batch_response;
    absl::Time started;
    int events = 0;
  };

  void Fill(v1::PublishRequest* e, int64_t n) {
    e->set_type(options_.type);
    e->set_project(absl::StrCat("g", n % options_.groups));
    e->set_data_json(
        absl::StrCat("{\"bench_t\":", absl::GetCurrentTimeNanos(), ",\"pad\":\"", padding_, "\"}"));
  }

  void Issue(int64_t first, int n) {
    auto* call = new Call;
    call->events = n;
    call->context.AddMetadata("authorization", "Bearer " + options_.publish_token);
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    call->started = absl::Now();
    if (options_.batch_size == 0) {
      Fill(&call->single, first);
      stub_->async()->Publish(
          &call->context, &call->single, &call->single_response,
          [this, call](grpc::Status s) { Answered(call, s, call->single_response.fanout()); });
      return;
    }
    for (int i = 0; i < n; ++i) Fill(call->batch.add_events(), first + i);
    stub_->async()->PublishBatch(&call->context, &call->batch, &call->batch_response,
                                 [this, call](grpc::Status s) {
                                   int64_t fanout = 0;
                                   for (const auto& r : call->batch_response.results()) {
                                     fanout += r.fanout();
                                   }
                                   Answered(call, s, fanout);
                                 });
  }

  void Answered(Call* call, const grpc::Status& s, int64_t fanout) {
    absl::Time now = absl::Now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      result_.call_ms.push_back(absl::ToDoubleMilliseconds(now - call->started));
      if (s.ok()) {
        result_.accepted += call->events;
        result_.deliveries += fanout;
      } else {
        result_.failed += call->events;
        if (result_.first_error.empty()) {
          result_.first_error = absl::StrCat(s.error_code(), ": ", s.error_message());
        }
      }
      last_answer_ = now;
    }
    delete call;
    Finished();
  }

  void Finished() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      --outstanding_;
    }
    done_.notify_all();
  }

  const LoadOptions& options_;
  std::unique_ptr<v1::EventIngest::Stub> stub_;
  const std::string padding_;
  std::mutex mu_;
  std::condition_variable done_;
  int outstanding_ = 0;
  absl::Time last_answer_;
  LoadResult result_;
};

}  // namespace

LoadResult RunLoad(const LoadOptions& options) { return Publisher(options).Run(); }

}  // namespace argus::bench
