// EC2's XML responses (EC2 API reference, "Query API responses"), written
// with pugixml from the JSON the cloud library already builds for
// `twinbox ec2` (the AWS CLI's shapes, cloud/instance_json.h...):
//
//   <DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
//     <requestId>...</requestId>
//     <reservationSet><item><reservationId>r-...</reservationId>...
//
// The converter is generic and driven by one table (ec2_xml_names.inc,
// generated from botocore's EC2 model by scripts/gen_ec2_xml_names.py):
// for each shape, the element name of each JSON member (InstanceId ->
// instanceId, but PublicIpAddress -> ipAddress, Instances -> instancesSet)
// and the item element of each list. So the JSON shapes are written once,
// for the CLI, and the API gets them without a second copy of each
// structure; an action of part 2 adds its name to the generator's list.
// A JSON member the table does not know keeps its name in lower camel case
// (botocore ignores elements it does not model).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace twinbox::cloud::api {

inline constexpr const char* kEc2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/";

// The <ACTIONResponse> document for `result`. An action without an output
// shape (RebootInstances) answers <return>true</return>, as EC2.
std::string response_xml(std::string_view action, const nlohmann::json& result,
                         std::string_view request_id);

// <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
std::string error_xml(std::string_view code, std::string_view message, std::string_view request_id);

// Whether `action` has a row in the table (scripts/gen_ec2_xml_names.py's list).
bool has_xml_shape(std::string_view action);

}  // namespace twinbox::cloud::api
