@R-DISC @rfc
Feature: Discovery: the service provider describes itself
  A SCIM client learns what a service supports by reading /ServiceProviderConfig,
  /Schemas and /ResourceTypes (RFC 7644 §4). The suite reads the configuration first and
  skips what the service says it does not support; these scenarios check the documents
  themselves, and that advertised limits are really enforced.

  @must
  Scenario: The configuration says which optional features are supported
    When I read the service provider configuration
    Then the response status is 200
    And the response has the SCIM media type
    And the configuration says whether patch, bulk, filter, changePassword, sort and etag are supported
    And the configuration lists an authentication scheme

  @should
  Scenario: The configuration cannot be filtered
    When I read the service provider configuration with a filter
    Then the request is refused with status 403

  @must
  Scenario: The schemas list the core User schema
    When I read the schemas
    Then the response status is 200
    And the list contains the schema "urn:ietf:params:scim:schemas:core:2.0:User"

  @should
  Scenario: A schema can be read by its id
    RFC 7644 §4 says a single schema "can be returned" by appending its URI to /Schemas; it
    does not require it, so this is a SHOULD.
    When I read the schema "urn:ietf:params:scim:schemas:core:2.0:User"
    Then the response describes "urn:ietf:params:scim:schemas:core:2.0:User"
    And the user schema describes userName as required and not case-exact

  @must
  Scenario: The resource types name their endpoints
    The endpoint is relative to the base URL (RFC 7643 §6, e.g. "/Users"); "Users" is
    accepted too. A full URL, or a path that repeats the base path, is not.
    When I read the resource types
    Then the response status is 200
    And the list contains the resource type "User" at endpoint "/Users"
    And the list contains the resource type "Group" at endpoint "/Groups"

  @should
  Scenario: A resource type can be read by its id
    RFC 7644 §4 describes reading a single resource type but does not require it.
    When I read the resource type "User"
    Then the response describes "User"

  # @serial: these probes create more users than a page holds, which would crowd the
  # searches of scenarios running beside them.
  @must @R-PAGE @needs-filter @serial
  Scenario: The advertised maximum page size is enforced
    A count above filter.maxResults is either capped (a page of at most maxResults users,
    totalResults still counting every match) or refused with 400 tooMany (RFC 7644 §3.4.2.4).
    Given one more user than the advertised maximum page size
    When I list my users asking for more than the advertised maximum page size
    Then the page holds at most the advertised maximum number of users, or the request is refused as too many

  @must @R-FILTER @needs-filter @needs-limits @serial
  Scenario: A filter matching more than the advertised maximum is refused as too many
    Given one more user than the advertised maximum number of filter matches
    When I search all my users
    Then the request is refused with status 400 and scimType "tooMany"

  @must @R-BULK @needs-bulk
  Scenario: The advertised bulk maxOperations is enforced
    When I send a bulk request with one more operation than the advertised maxOperations
    Then the bulk request is refused as too large

  @must @R-BULK @needs-bulk
  Scenario: The advertised bulk maxPayloadSize is enforced
    bulk.maxPayloadSize limits /Bulk requests (RFC 7644 §3.7.4); skipped unless bulk is
    advertised with a maxPayloadSize above 0.
    When I send a bulk request larger than the advertised maxPayloadSize
    Then the bulk request is refused as too large

  # Python's urllib and many SDKs write the whole body before they read. A server that answers
  # 413 and closes with the body unread resets the connection under them: the answer is lost.
  # RFC 9112 §9.6 describes closing "in stages" to avoid that; no MUST requires it, hence a
  # SHOULD. Plain http:// targets only (the write-first client speaks no TLS).
  @should @R-BULK @needs-bulk
  Scenario: A client that writes its whole oversized bulk request before reading still reads the 413
    When I send a bulk request larger than the advertised maxPayloadSize, writing all of it before reading the answer
    Then the bulk request is refused as too large
