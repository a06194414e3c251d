@R-ERR @rfc
Feature: Errors are explicit and machine-readable
  Every error carries the Error schema with "status" as a string and, where RFC 7644 §3.12
  table 9 defines one, the scimType keyword. Authentication failures answer 401.

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
      | patch without the PatchOp schema         | 400    |

  @should
  Scenario Outline: A bad request names its scimType (<request>)
    When I send the bad request "<request>"
    Then the request is refused with status <status> and scimType "<scimType>"

    Examples:
      | request                                  | status | scimType      |
      | create a user without a userName         | 400    | invalidValue  |
      | create a user whose userName is a number | 400    | invalidValue  |
      | create a user with a duplicate userName  | 409    | uniqueness    |
      | search with an unknown operator          | 400    | invalidFilter |
      | search with an unclosed parenthesis      | 400    | invalidFilter |

  @should
  Scenario: Errors use the SCIM media type
    When I read a user that does not exist
    Then the response has the SCIM media type

  @must
  Scenario: A body that is not JSON is refused with 400
    When I create a user with a body that is not JSON
    Then the request is refused with status 400

  @should
  Scenario: A body that is not JSON names the scimType invalidSyntax
    When I create a user with a body that is not JSON
    Then the request is refused with status 400 and scimType "invalidSyntax"

  @should
  Scenario: A media type other than SCIM or JSON is refused with 415
    When I create a user sending the media type "text/plain"
    Then the request is refused with status 415

  @should
  Scenario: A body over the advertised maximum payload size is refused with 413
    When I create a user with a body larger than the advertised maximum payload size
    Then the request is refused with status 413
