// What one instance sees under http://169.254.169.254/latest/: the
// categories of EC2's "Instance metadata categories" that twinbox has, as a
// small tree of paths. A leaf answers its value; a directory answers its
// children one per line, a child that is itself a directory with a trailing
// "/", as EC2 lists them ("placement/"). public-keys/ is EC2's exception: its
// entries read "0=KEYNAME", and public-keys/0/ lists "openssh-key".
//
// Names chosen here (docs/cloud.md "Instance metadata"):
//   hostname, local-hostname   ip-10-88-0-5.ec2.internal (EC2's style for the
//                              private DNS name, from local-ipv4); the
//                              provided AMI's init sets this as the hostname
//   placement/availability-zone  local-1a (region local-1)
//   public-ipv4                absent (404) while an instance has no public
//                              address, as on EC2
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "cloud/instance_store.h"

namespace twinbox::cloud {

inline constexpr const char* kImdsRegion = "local-1";
inline constexpr const char* kImdsAvailabilityZone = "local-1a";

// "ip-10-88-0-5.ec2.internal" for 10.88.0.5.
std::string instance_hostname(std::string_view private_ip);

// The answer for `path` below /latest/meta-data/ ("" or "/" is the index,
// "placement/", "public-keys/0/openssh-key"), nullopt for 404. `public_key`
// gives the key pair's public key line (nullopt when the key pair is gone).
using PublicKeyOf = std::function<std::optional<std::string>(const std::string& key_name)>;
std::optional<std::string> metadata_answer(const InstanceRecord& instance, std::string_view path,
                                           const PublicKeyOf& public_key);

// The instance's user data decoded from the base64 the record keeps;
// nullopt when it has none (or, never expected, when it is not base64).
std::optional<std::string> decoded_user_data(const InstanceRecord& instance);

}  // namespace twinbox::cloud
