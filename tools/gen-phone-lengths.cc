// Writes schemas/data/phone-lengths.txt: for every country calling code
// libphonenumber knows (regions and non-geographic entities), the lengths
// a national significant number of it can have, from the metadata the
// library itself carries (general_desc.possible_length of every region
// that shares the code; lengths only valid for local dialing are left
// out). A number whose length is not among them cannot exist.
//
// libphonenumber also reads a number written with its trunk prefix after
// the country code (+44 0 7400 123456) as valid, and some regions
// rewrite short numbers while parsing (national_prefix_transform_rule:
// Madagascar's 7-digit numbers gain "20"), both with the metadata of the
// code's main region. So that no number the library calls valid is
// refused: a main region with a national prefix also allows each length
// plus the prefix's, and one with a transform rule allows every length up
// to the code's longest.
//
// Linked against Debian's libphonenumber-dev, so the table is the
// library's own data; run it when the library is updated:
//
//   g++ -O2 tools/gen-phone-lengths.cc -o build/gen-phone-lengths \
//       -lphonenumber -lprotobuf
//   build/gen-phone-lengths > schemas/data/phone-lengths.txt
#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <cstdio>
#include <map>
#include <set>

namespace i18n { namespace phonenumbers {
int metadata_size();
const void *metadata_get();
} }

using namespace i18n::phonenumbers;

int main()
{
	PhoneMetadataCollection all;
	std::map<int, std::set<int>> lengths;
	std::set<int> lenient; /* codes with a transform rule */
	std::map<int, int> regions; /* regions per code */

	if (!all.ParseFromArray(metadata_get(), metadata_size())) {
		std::fprintf(stderr, "gen-phone-lengths: cannot parse the metadata\n");
		return 1;
	}
	for (const PhoneMetadata &m : all.metadata())
		regions[m.country_code()]++;
	for (const PhoneMetadata &m : all.metadata()) {
		const PhoneNumberDesc &g = m.general_desc();
		std::set<int> &l = lengths[m.country_code()];
		/* parsing "+cc ..." strips prefixes with the code's main region */
		bool main = m.main_country_for_code() || regions[m.country_code()] == 1;
		int extra = !main ? 0 : m.has_national_prefix_for_parsing() ||
			    m.has_national_prefix()
			? (int)(m.has_national_prefix() && !m.national_prefix().empty()
				? m.national_prefix().size() : 1)
			: 0;
		for (int i = 0; i < g.possible_length_size(); i++) {
			l.insert(g.possible_length(i));
			if (extra)
				l.insert(g.possible_length(i) + extra);
		}
		if (main && m.has_national_prefix_transform_rule())
			lenient.insert(m.country_code());
	}
	std::printf("# Country calling code|lengths of the national significant number,\n"
		    "# from libphonenumber's metadata (general_desc.possible_length of every\n"
		    "# region with the code, plus its trunk prefix's length; every length\n"
		    "# up to the longest where parsing rewrites numbers), written by\n"
		    "# tools/gen-phone-lengths.cc from\n"
		    "# Debian's libphonenumber %s (Apache-2.0, Copyright (C) 2009 The\n"
		    "# Libphonenumber Authors).\n", "8.12.57");
	for (auto &cc : lengths)
		if (lenient.count(cc.first) && !cc.second.empty())
			for (int l = 1; l < *cc.second.rbegin(); l++)
				cc.second.insert(l);
	for (const auto &cc : lengths) {
		const char *sep = "";
		std::printf("%d|", cc.first);
		for (int l : cc.second) {
			std::printf("%s%d", sep, l);
			sep = ",";
		}
		std::printf("\n");
	}
	return 0;
}
