// Errors in AWS's words. A cloud function that fails the way EC2 would
// ("InvalidKeyPair.NotFound") returns an Error whose call() is the AWS error
// code and whose context is AWS's message; errno is 0. Any other Error (an
// I/O failure in the state store) is twinbox's own and has no AWS code.
// The CLI prints both as the AWS CLI does (cli/ec2.cpp).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace twinbox::cloud {

inline Error aws_error(std::string_view code, std::string_view message) {
    return Error::from_errno(code, message, 0);
}

// The AWS error code of `error`, or "" when it is not one of ours.
std::string aws_error_code(const Error& error);

}  // namespace twinbox::cloud
