#ifndef ARGUS_SERVICES_ARGUSCTL_LISTEN_H_
#define ARGUS_SERVICES_ARGUSCTL_LISTEN_H_

#include <string>

#include "absl/status/status.h"

namespace argus {

struct ListenOptions {
  int port = 0;        // on 127.0.0.1
  std::string secret;  // whsec_…; empty: print deliveries without checking
  int count = 0;       // exit after this many deliveries; 0 = until SIGINT/SIGTERM
};

// `argusctl listen`: a loopback HTTP receiver for trying Argus Webhooks
// out. Prints each delivery (headers of ours, body) and, with a secret,
// which of the three signatures verified; answers 200 when all did (or when
// there is no secret), 401 otherwise, so a failing check shows in the
// delivery log too.
absl::Status Listen(const ListenOptions& options);

}  // namespace argus

#endif  // ARGUS_SERVICES_ARGUSCTL_LISTEN_H_
