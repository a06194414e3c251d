@verification-api @E-DV-05
Feature: Bad input gets a clear answer
  A domain name that is not one is refused when it is added, with the reason.

  Background:
    Given the reference consults a fake name server and a fake web server

  @must
  Scenario Outline: Not a domain name
    Given "ann@acme.example" starts verifying "<domain>"
    Then the request is refused with status 400

    Examples:
      | domain              |
      | not a domain        |
      | under_score.example |
      | -dash.example       |
