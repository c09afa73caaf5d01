#include "common/wakeups.h"

#include <pqxx/pqxx>

#include "common/channels.h"

namespace argus {
namespace {

constexpr char kBumpVersion[] = R"sql(
WITH bumped AS (
  UPDATE orgs SET endpoints_version = endpoints_version + 1 WHERE id = $1::uuid RETURNING id)
SELECT pg_notify($2, id::text) FROM bumped)sql";

}  // namespace

void MarkSubscriptionsChanged(pqxx::transaction_base& tx, const std::string& org_id) {
  tx.exec_params(kBumpVersion, org_id, kEndpointsChannel);
}

void WakeDeliverers(pqxx::transaction_base& tx) {
  tx.exec_params("SELECT pg_notify($1, '')", kDeliveriesChannel);
}

}  // namespace argus
