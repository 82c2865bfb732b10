//! HTTP: one async function from request to response.
