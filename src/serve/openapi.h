// The OpenAPI 3 document of the server's routes (GET /openapi.json).
#ifndef FC_SERVE_OPENAPI_H
#define FC_SERVE_OPENAPI_H

extern const char fc_openapi_json[];

#endif
