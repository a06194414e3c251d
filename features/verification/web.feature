@verification-api @E-DV-03
Feature: A domain is verified by a file on its web server
  Instead of a DNS record, the organization can upload a plain-text file to its web root:
  http://<domain>/logmein-verification-code.txt whose content is exactly
  logmein-verification-code=<code>, with no blank spaces (a trailing line break counts).

  Redirects are not followed: a file found elsewhere proves control of that place, not of the
  domain, so the result names the redirect and the admin moves the file.

  Background:
    Given the reference consults a fake name server and a fake web server
    And "ann@acme.example" starts verifying "acme.example"

  @must @E-DV-01
  Scenario: The verification file proves ownership
    Given the web server serves the verification file for "acme.example"
    When "ann@acme.example" verifies "acme.example" by web file
    Then the result is "verified"
    And "acme.example" is verified
    And "ann@acme.example" is an organization admin

  @must
  Scenario: Verify tries the DNS record first, then the file
    Given the web server serves the verification file for "acme.example"
    When "ann@acme.example" verifies "acme.example"
    Then the result is "verified"

  @must @E-DV-05
  Scenario Outline: The file must hold exactly the value
    Given the web server serves "<content>" as the verification file for "acme.example"
    When "ann@acme.example" verifies "acme.example" by web file
    Then the result is "<result>"

    Examples:
      | content                                      | result               |
      | logmein-verification-code={code}\n           | file-with-whitespace |
      | \nlogmein-verification-code={code}           | file-with-whitespace |
      | logmein-verification-code= {code}            | file-with-whitespace |
      | logmein-verification-code={other code}       | wrong-code           |
      | <html><body>Welcome to ACME</body></html>    | file-wrong-content   |

  @must @E-DV-05
  Scenario: Blank spaces around the value
    Given the web server serves "  logmein-verification-code={code}  " as the verification file for "acme.example"
    When "ann@acme.example" verifies "acme.example" by web file
    Then the result is "file-with-whitespace"
    And the explanation mentions "blank spaces"

  @must @E-DV-05
  Scenario: No file on the web server
    When "ann@acme.example" verifies "acme.example" by web file
    Then the result is "file-not-found"

  @must @E-DV-05
  Scenario: The web server fails
    Given the web server answers 503 for the verification file of "acme.example"
    When "ann@acme.example" verifies "acme.example" by web file
    Then the result is "file-http-error"
    And the explanation mentions "503"

  @must @E-DV-05
  Scenario: A redirect is reported, not followed
    Given the web server redirects the verification file of "acme.example" to "https://www.acme.example/logmein-verification-code.txt"
    When "ann@acme.example" verifies "acme.example" by web file
    Then the result is "redirect"
    And the explanation mentions "https://www.acme.example/logmein-verification-code.txt"
    And "acme.example" is pending

  @must @E-DV-05
  Scenario: A web server that does not answer in time
    Given the web server takes 3 seconds to serve the verification file of "acme.example"
    When "ann@acme.example" verifies "acme.example" by web file
    Then the result is "web-timeout"

  @must @E-DV-05 @serial
  Scenario: A web server that cannot be reached
    Given the web server cannot be reached
    When "ann@acme.example" verifies "acme.example" by web file
    Then the result is "web-unreachable"

  @must @E-DV-05
  Scenario: A huge file is refused without reading it
    Given the web server serves a 10 MB verification file for "acme.example"
    When "ann@acme.example" verifies "acme.example" by web file
    Then the result is "file-too-large"
