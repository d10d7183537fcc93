// One API request, without sockets: authenticate (sigv4.h), parse the
// parameters (query.h), run the action (actions.h) and write the XML answer
// or AWS's error document (xml.h) with the HTTP status AWS gives:
//   400  the client's mistake (InvalidParameterValue, InvalidAction,
//        RequestExpired, any *.NotFound ...)
//   401  AuthFailure, MissingAuthenticationToken
//   403  SignatureDoesNotMatch
//   500  InternalError: twinbox itself failed (the message says how)
// The server (server.h) is a thin cpp-httplib loop around this.
#pragma once

#include <chrono>
#include <string>

#include "cloud/api/sigv4.h"

namespace twinbox::cloud::api {

struct ApiResponse {
    int status = 200;
    std::string body;  // text/xml
    std::string request_id;
};

// The HTTP status of an AWS error code ("" for twinbox's own failure).
int status_of(std::string_view code);

class ApiService {
public:
    // Credentials and resources come from the state store in `store_dir`,
    // read again on each request.
    explicit ApiService(std::string store_dir);
    ApiResponse handle(const HttpRequest& request, std::chrono::system_clock::time_point now);

private:
    std::string m_dir;
    Verifier m_verifier;
};

}  // namespace twinbox::cloud::api
