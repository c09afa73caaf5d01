#include "services/deliverer/endpoint_admission.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace argus {
namespace {

ClaimedDelivery Due(const std::string& endpoint, int n) {
  ClaimedDelivery d;
  d.delivery_id = absl::StrCat(endpoint, "-", n);
  d.endpoint_id = endpoint;
  return d;
}

class EndpointAdmissionTest : public testing::Test {
 protected:
  EndpointAdmission Admission(int cap) {
    return EndpointAdmission({.per_endpoint_in_flight = cap, .send_window = absl::Minutes(1)},
                             &clock_);
  }
  void AddMany(EndpointAdmission& a, const std::string& endpoint, int n) {
    for (int i = 0; i < n; ++i) {
      ClaimedDelivery d = Due(endpoint, i);
      d.claimed_at = clock_.Now();
      a.Add(std::move(d));
    }
  }
  ManualClock clock_;
};

TEST_F(EndpointAdmissionTest, CapsRequestsOnTheWirePerEndpoint) {
  EndpointAdmission a = Admission(4);
  AddMany(a, "a", 10);
  AddMany(a, "b", 2);
  EndpointAdmission::Ready ready = a.TakeReady();
  int to_a = 0;
  for (const ClaimedDelivery& d : ready.send) to_a += d.endpoint_id == "a";
  EXPECT_EQ(to_a, 4);
  EXPECT_EQ(ready.send.size(), 6u);
  EXPECT_EQ(a.sending(), 6);
  EXPECT_EQ(a.waiting(), 6);
  EXPECT_EQ(a.Saturated(), std::vector<std::string>{"a"});
  EXPECT_TRUE(a.TakeReady().send.empty());
  a.Finished("a", EndpointAdmission::Answer::kAnswered);
  ready = a.TakeReady();
  ASSERT_EQ(ready.send.size(), 1u);
  EXPECT_EQ(ready.send[0].delivery_id, "a-4");  // claim order
}

TEST_F(EndpointAdmissionTest, ALaneThatWasFullAtTheClaimAsksForAClaimWhenItHasRoom) {
  EndpointAdmission a = Admission(2);
  AddMany(a, "a", 3);
  a.TakeReady();  // 2 on the wire, 1 waiting
  EXPECT_EQ(a.Saturated(), std::vector<std::string>{"a"});
  EXPECT_FALSE(a.ClaimWanted());
  a.Finished("a", EndpointAdmission::Answer::kAnswered);  // 1 + 1: still full
  EXPECT_FALSE(a.ClaimWanted());
  a.TakeReady();
  a.Finished("a", EndpointAdmission::Answer::kAnswered);  // 1 of 2
  EXPECT_TRUE(a.ClaimWanted());
  a.Saturated();  // the claim
  EXPECT_FALSE(a.ClaimWanted());
}

TEST_F(EndpointAdmissionTest, ALaneThatHadRoomAtTheClaimWantsNoEarlyClaim) {
  EndpointAdmission a = Admission(4);
  AddMany(a, "a", 2);
  a.TakeReady();
  EXPECT_TRUE(a.Saturated().empty());  // everything due for it was claimed
  a.Finished("a", EndpointAdmission::Answer::kAnswered);
  EXPECT_FALSE(a.ClaimWanted());
}

TEST_F(EndpointAdmissionTest, ASlowEndpointGetsOneRequestThenDoublesBack) {
  EndpointAdmission a = Admission(8);
  AddMany(a, "a", 12);
  ASSERT_EQ(a.TakeReady().send.size(), 8u);
  a.Finished("a", EndpointAdmission::Answer::kSlow);
  // 7 still on the wire, the limit is 1: the 4 waiting go back.
  EXPECT_EQ(a.TakeReleased().size(), 4u);
  EXPECT_EQ(a.TakeSlow(), std::vector<std::string>{"a"});
  EXPECT_EQ(a.waiting(), 0);
  for (int i = 0; i < 7; ++i) a.Finished("a", EndpointAdmission::Answer::kNone);
  // The limit outlives the lane: a new claim gets one request at a time.
  AddMany(a, "a", 10);
  EXPECT_EQ(a.TakeReleased().size(), 9u);
  ASSERT_EQ(a.TakeReady().send.size(), 1u);
  a.Finished("a", EndpointAdmission::Answer::kAnswered);  // limit 2
  AddMany(a, "a", 10);
  a.TakeReleased();
  EXPECT_EQ(a.TakeReady().send.size(), 2u);
  a.Finished("a", EndpointAdmission::Answer::kAnswered);  // 4
  a.Finished("a", EndpointAdmission::Answer::kAnswered);  // 8: recovered
  AddMany(a, "a", 10);
  EXPECT_TRUE(a.TakeReleased().empty());
  EXPECT_EQ(a.TakeReady().send.size(), 8u);
}

TEST_F(EndpointAdmissionTest, ADeliveryPastItsSendWindowIsGivenBackUnsent) {
  EndpointAdmission a = Admission(1);
  AddMany(a, "a", 2);
  ASSERT_EQ(a.TakeReady().send.size(), 1u);
  clock_.Advance(absl::Minutes(2));
  a.Finished("a", EndpointAdmission::Answer::kAnswered);
  EndpointAdmission::Ready ready = a.TakeReady();
  EXPECT_TRUE(ready.send.empty());
  EXPECT_EQ(ready.expired, std::vector<std::string>{"a-1"});
}

}  // namespace
}  // namespace argus
