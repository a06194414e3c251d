@usersync-api @serial @S-US-11
Feature: Custom attributes flow to product custom fields
  String attributes of the directory user flow to the product account. By default
  employeeNumber, costCenter, division and department each fill a custom field of the same
  name; an admin can map an attribute to another field. They show in the User Sync extension
  of the SCIM user ("customFields").

  Background:
    Given User Sync is set up for the organization
    And the directory user Ann with employeeNumber "E-100", costCenter "CC-7", division "Cloud" and department "R&D"
    And the directory group "Sales" with Ann
    And the rule "Sales -> Meeting"

  @must
  Scenario: The default attributes fill custom fields of the same name
    When User Sync is turned on
    Then Ann's custom fields are:
      | field          | value |
      | employeeNumber | E-100 |
      | costCenter     | CC-7  |
      | division       | Cloud |
      | department     | R&D   |

  @must
  Scenario: A change in the directory reaches the custom field
    Given User Sync is on
    When Ann's costCenter changes to "CC-9" in the directory
    Then Ann's custom field "costCenter" is "CC-9"

  @must
  Scenario: An attribute can be mapped to a custom field of another name
    Given the custom attribute "costCenter" is mapped to the field "Cost centre"
    When User Sync is turned on
    Then Ann's custom field "Cost centre" is "CC-7"
