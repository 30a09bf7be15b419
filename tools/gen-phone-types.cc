// Prints libphonenumber's per-type national number patterns, one line
// per region and type: code, region, main-for-code, type, pattern,
// possible lengths (the type's, else the region's), national prefix,
// national prefix for parsing, transform rule (0/1), tab-separated.
// tools/gen-phone-types.py turns them into schemas/data/phone-types.txt:
//
//   g++ -O1 tools/gen-phone-types.cc -o build/gen-phone-types \
//       -lphonenumber -lprotobuf
//   build/gen-phone-types | python3 tools/gen-phone-types.py \
//       > schemas/data/phone-types.txt
//
// Linked against Debian's libphonenumber-dev, so the patterns are the
// library's own data (Apache-2.0); run it when the library is updated.
#include <phonenumbers/phonemetadata.pb.h>
#include <cstdio>
namespace i18n { namespace phonenumbers { int metadata_size(); const void *metadata_get(); } }
using namespace i18n::phonenumbers;
static void pr(const PhoneMetadata &m, const char *t, const PhoneNumberDesc &d, const PhoneNumberDesc &g) {
	if (!d.has_national_number_pattern()) return;
	std::printf("%d\t%s\t%d\t%s\t%s\t", m.country_code(), m.id().c_str(), m.main_country_for_code(), t, d.national_number_pattern().c_str());
	const PhoneNumberDesc &L = d.possible_length_size() ? d : g;
	for (int i = 0; i < L.possible_length_size(); i++) std::printf("%s%d", i ? "," : "", L.possible_length(i));
	std::printf("\t%s\t%s\t%d\n", m.national_prefix().c_str(), m.national_prefix_for_parsing().c_str(), m.has_national_prefix_transform_rule());
}
int main() {
	PhoneMetadataCollection all;
	if (!all.ParseFromArray(metadata_get(), metadata_size())) return 1;
	for (const PhoneMetadata &m : all.metadata()) {
		const PhoneNumberDesc &g = m.general_desc();
		pr(m, "general", g, g);
		pr(m, "fixed_line", m.fixed_line(), g); pr(m, "mobile", m.mobile(), g);
		pr(m, "toll_free", m.toll_free(), g); pr(m, "premium_rate", m.premium_rate(), g);
		pr(m, "shared_cost", m.shared_cost(), g); pr(m, "personal_number", m.personal_number(), g);
		pr(m, "voip", m.voip(), g); pr(m, "pager", m.pager(), g); pr(m, "uan", m.uan(), g);
		pr(m, "voicemail", m.voicemail(), g);
	}
}
