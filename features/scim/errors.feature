@R-ERR @rfc
Feature: Errors are explicit and machine-readable
  A probe first shows that its valid twin (the same request, put right) is accepted: a refusal
  proves nothing about the bad part when the good one is refused too. Every error carries the Error schema with "status" as a string and, where RFC 7644 §3.12
  table 9 defines one, the scimType keyword, and uses the SCIM media type. Authentication
  failures answer 401. Refusing an unsupported media type with 415 is a MAY: RFC 7644 does not
  require it. (bulk.maxPayloadSize limits /Bulk only, RFC 7644 §3.7.4: see discovery.feature.)

  Background:
    Given a user "ann"

  @must
  Scenario: A request without a token is refused with 401
    Given the target requires a bearer token
    When I list users without a token
    Then the response status is 401

  @must
  Scenario: A request with a wrong token is refused with 401
    Given the target requires a bearer token
    When I list users with a wrong token
    Then the response status is 401

  @must
  Scenario Outline: A bad request is refused with an error body (<request>)
    Given the valid twin of "<request>" is accepted
    When I send the bad request "<request>"
    Then the request is refused with status <status>

    Examples:
      | request                                  | status |
      | create a user without a userName         | 400    |
      | create a user whose userName is a number | 400    |
      | create a user with a duplicate userName  | 409    |
      | read a user that does not exist          | 404    |
      | replace a user that does not exist       | 404    |
      | delete a user that does not exist        | 404    |
      | search with an unknown operator          | 400    |
      | search with an unclosed parenthesis      | 400    |

    @needs-patch
    Examples: PATCH
      | request                                  | status |
      | patch a user that does not exist         | 404    |
      | patch with an unknown op                 | 400    |

  # RFC 7644 §3.5.2's MUST on the PatchOp schema binds the client's request; no sentence makes
  # the server refuse one without it, hence a SHOULD (table 9's invalidSyntax fits it).
  @should @needs-patch
  Scenario: A PATCH without the PatchOp schema is refused
    Given the valid twin of "patch without the PatchOp schema" is accepted
    When I send the bad request "patch without the PatchOp schema"
    Then the request is refused with status 400

  @should
  Scenario Outline: A bad request names its scimType (<request>)
    Given the valid twin of "<request>" is accepted
    When I send the bad request "<request>"
    Then the request is refused with status <status> and scimType "<scimType>"

    Examples:
      | request                                  | status | scimType      |
      | create a user without a userName         | 400    | invalidValue  |
      | create a user whose userName is a number | 400    | invalidValue  |
      | create a user with a duplicate userName  | 409    | uniqueness    |
      | search with an unknown operator          | 400    | invalidFilter |
      | search with an unclosed parenthesis      | 400    | invalidFilter |

  @must
  Scenario: Reading a user by an id that is not a UUID answers 404 with an error body
    An id the server never issued names no resource, whatever its shape (RFC 7644 §3.4.1,
    §3.12): the answer is a SCIM 404 error, not the web framework's own error page.
    When I send the bad request "read a user whose id is not a UUID"
    Then the request is refused with status 404

  @should
  Scenario Outline: Errors use the SCIM media type (<request>)
    When I send the bad request "<request>"
    Then the response has the SCIM media type

    Examples:
      | request                                    |
      | read a user that does not exist            |
      | create a user with a duplicate userName    |
      | search with an unknown operator            |
      | create a user with a body that is not JSON |

  @must
  Scenario: A body that is not JSON is refused with 400
    When I create a user with a body that is not JSON
    Then the request is refused with status 400

  @should
  Scenario: A body that is not JSON names the scimType invalidSyntax
    When I create a user with a body that is not JSON
    Then the request is refused with status 400 and scimType "invalidSyntax"

  @may
  Scenario: A media type other than SCIM or JSON may be refused with 415
    RFC 7644 does not require a server to check the Content-Type of a request; refusing a body
    it cannot read with 415 (Unsupported Media Type, RFC 7231 §6.5.13) is common practice, so
    this is a MAY.
    When I create a user sending the media type "text/plain"
    Then the request is refused as an unsupported media type
