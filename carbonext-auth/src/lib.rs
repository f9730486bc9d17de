//! OAuth2 client_credentials middleware for carbonext-api (work in progress).
