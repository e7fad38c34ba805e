"""Bad OpenDRIVE input is rejected with a RoadNetworkError naming file, line and cause."""

from __future__ import annotations

import pytest

from simplatform.errors import RoadNetworkError
from simplatform.opendrive import load_opendrive, parse_opendrive

GOOD_ROAD = """  <road id="{id}" length="100" junction="-1">
    {link}
    <planView><geometry s="0" x="0" y="{y}" hdg="0" length="{length}"><line/></geometry></planView>
    <lanes><laneSection s="0">
      <center><lane id="0" type="none"/></center>
      <right><lane id="-1" type="driving">{lane_link}<width sOffset="0" a="{width}" b="0" c="0" d="0"/></lane></right>
    </laneSection></lanes>
  </road>"""


def road(id="1", y="0", length="100", width="3.5", link="", lane_link="") -> str:
    return GOOD_ROAD.format(id=id, y=y, length=length, width=width, link=link, lane_link=lane_link)


def doc(*roads: str) -> str:
    body = "\n".join(roads)
    return f'<?xml version="1.0"?>\n<OpenDRIVE>\n  <header revMajor="1" revMinor="6"/>\n{body}\n</OpenDRIVE>\n'


def error_of(text: str) -> RoadNetworkError:
    with pytest.raises(RoadNetworkError) as info:
        parse_opendrive(text, source="bad.xodr")
    err = info.value
    assert err.location.file == "bad.xodr"
    assert "bad.xodr" in str(err)
    return err


def test_a_good_file_parses():
    net = parse_opendrive(doc(road()), source="good.xodr")
    assert list(net.roads) == ["1"] and net.problems == []


def test_malformed_xml_names_the_line():
    err = error_of(doc(road()).replace("</planView>", "</planview>"))
    assert "malformed XML" in err.cause and err.location.line == 6


def test_root_that_is_not_opendrive():
    err = error_of('<?xml version="1.0"?>\n<OpenSCENARIO><FileHeader/></OpenSCENARIO>')
    assert "not <OpenDRIVE>" in err.cause and err.location.line == 2


@pytest.mark.parametrize("length", ["-5", "0"])
def test_negative_or_zero_geometry_length(length):
    err = error_of(doc(road(length=length)))
    assert "geometry length must be positive" in err.cause
    assert err.location.line == 6 and err.location.element == "geometry"


def test_non_numeric_attribute():
    err = error_of(doc(road(width="wide")))
    assert "'a' is not a number" in err.cause and "'wide'" in err.cause
    assert err.location.line == 9 and err.location.element == "width"


def test_missing_required_attribute():
    err = error_of(doc(road()).replace(' hdg="0"', ""))
    assert "missing required attribute 'hdg'" in err.cause and err.location.line == 6


def test_dangling_road_link():
    link = '<link><successor elementType="road" elementId="99" contactPoint="start"/></link>'
    err = error_of(doc(road(link=link)))
    assert "road 99 which does not exist" in err.cause and err.location.line == 5


def test_dangling_junction_link():
    link = '<link><predecessor elementType="junction" elementId="7"/></link>'
    err = error_of(doc(road(link=link)))
    assert "junction 7 which does not exist" in err.cause


def test_lane_link_to_an_unknown_lane():
    link = '<link><successor elementType="road" elementId="2" contactPoint="start"/></link>'
    lane_link = '<link><successor id="-4"/></link>'
    err = error_of(doc(road(link=link, lane_link=lane_link), road(id="2", y="0")))
    assert "successor (road 2) lane -4 does not exist" in err.cause
    assert err.location.line == 9 and err.location.element == "lane"


def test_duplicate_road_ids():
    err = error_of(doc(road(), road(y="20")))
    assert "duplicate road id '1'" in err.cause and err.location.line == 12


def test_junction_lane_link_to_an_unknown_lane():
    text = doc(road(link='<link><successor elementType="junction" elementId="J"/></link>'),
               road(id="2", y="0").replace('junction="-1"', 'junction="J"')).replace(
        "</OpenDRIVE>",
        '  <junction id="J" name="j"><connection id="0" incomingRoad="1" connectingRoad="2" contactPoint="start">'
        '<laneLink from="-1" to="-2"/></connection></junction>\n</OpenDRIVE>')
    err = error_of(text)
    assert "lane -2 does not exist at the start of connecting road 2" in err.cause


def test_unreadable_file_names_it(tmp_path):
    with pytest.raises(RoadNetworkError) as info:
        load_opendrive(tmp_path / "missing.xodr")
    assert "missing.xodr" in str(info.value) and "cannot read file" in str(info.value)


def test_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    text = (f'<?xml version="1.0"?>\n<!DOCTYPE OpenDRIVE [<!ENTITY x SYSTEM "file://{secret}">]>\n'
            + doc(road()).split("\n", 1)[1].replace('revMinor="6"/>', 'revMinor="6" name="&x;"/>'))
    try:
        net = parse_opendrive(text, source="xxe.xodr")
    except RoadNetworkError:
        return  # rejected outright: also safe
    assert "TOP-SECRET" not in net.header.name


def test_speed_units_are_converted_to_metres_per_second():
    text = doc(road()).replace(
        '<planView>', '<type s="0" type="town"><speed max="50" unit="km/h"/></type><planView>').replace(
        '<width sOffset="0" a="3.5" b="0" c="0" d="0"/>',
        '<width sOffset="0" a="3.5" b="0" c="0" d="0"/><speed sOffset="50" max="30" unit="mph"/>')
    net = parse_opendrive(text)
    assert net.speed_limit("1", -1, 10.0) == pytest.approx(50 / 3.6)
    assert net.speed_limit("1", -1, 60.0) == pytest.approx(30 * 0.44704)
    bad = text.replace('unit="km/h"', 'unit="furlong/fortnight"')
    assert "not a speed unit" in error_of(bad).cause


def test_unknown_road_in_a_query_is_a_road_network_error():
    net = parse_opendrive(doc(road()))
    with pytest.raises(RoadNetworkError, match="no road 'nope'"):
        net.lane_pose("nope", -1, 0.0)
    with pytest.raises(RoadNetworkError, match="no lane -2"):
        net.lane_width("1", -2, 10.0)
