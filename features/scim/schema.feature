@R-DISC
Feature: The published User schema fits what clients send
  A client builds its requests from the service provider's /Schemas and /ResourceTypes
  (RFC 7643 §6, §7). The suite does the same: its users carry what the target's schema
  requires and only what it declares, and checks about attributes the schema leaves out are
  not applicable. How the schema departs from RFC 7643's core User schema is reported here,
  once, rather than in every scenario it would otherwise break.

  @should @rfc
  Scenario: The User schema keeps the core attributes of RFC 7643 and requires no more
    When I read the target's published User schema
    Then it departs in nothing from RFC 7643's core User attributes

  @must @entra-compat @E-MAP-01 @E-U-01
  Scenario: The User schema declares every attribute this product's default mapping sends
    When I read the target's published User schema
    Then it declares every attribute of this product's default user mapping
