// A minimal PNG reader for the Chromium screenshot check: 8-bit RGB/RGBA, non-interlaced (what Chromium
// writes), with a small inflate (RFC 1951). Written here because Foundation on Linux decodes no images
// and the test should not depend on an image library.
import Foundation

struct DecodedImage {
  var width: Int, height: Int
  var pixels: [UInt32]  // 0xRRGGBB
}

enum PNGDecoder {
  struct Failure: Error, CustomStringConvertible { var description: String }

  static func decode(_ data: [UInt8]) throws -> DecodedImage {
    guard data.count > 8, Array(data[0..<8]) == [137, 80, 78, 71, 13, 10, 26, 10] else {
      throw Failure(description: "not a PNG")
    }
    var offset = 8
    var width = 0
    var height = 0
    var colorType = 0
    var idat: [UInt8] = []
    func u32(_ at: Int) -> Int {
      Int(data[at]) << 24 | Int(data[at + 1]) << 16 | Int(data[at + 2]) << 8 | Int(data[at + 3])
    }
    while offset + 8 <= data.count {
      let length = u32(offset)
      let type = String(decoding: data[offset + 4..<offset + 8], as: UTF8.self)
      let body = offset + 8
      guard body + length <= data.count else { throw Failure(description: "truncated chunk \(type)") }
      if type == "IHDR" {
        width = u32(body)
        height = u32(body + 4)
        colorType = Int(data[body + 9])
        guard data[body + 8] == 8, data[body + 12] == 0, colorType == 2 || colorType == 6 else {
          throw Failure(
            description:
              "unsupported PNG: depth \(data[body + 8]) colour type \(colorType) interlace \(data[body + 12])")
        }
      } else if type == "IDAT" {
        idat += data[body..<body + length]
      } else if type == "IEND" {
        break
      }
      offset = body + length + 4
    }
    let raw = try inflate(Array(idat.dropFirst(2)))  // skip the zlib header
    let channels = colorType == 6 ? 4 : 3
    let stride = width * channels
    guard raw.count >= height * (stride + 1) else { throw Failure(description: "short image data") }
    var pixels = [UInt32](repeating: 0, count: width * height)
    var previous = [UInt8](repeating: 0, count: stride)
    var line = [UInt8](repeating: 0, count: stride)
    for y in 0..<height {
      let start = y * (stride + 1)
      let filter = raw[start]
      for x in 0..<stride {
        let value = raw[start + 1 + x]
        let a = x >= channels ? Int(line[x - channels]) : 0
        let b = Int(previous[x])
        let c = x >= channels ? Int(previous[x - channels]) : 0
        let predictor: Int
        switch filter {
        case 0: predictor = 0
        case 1: predictor = a
        case 2: predictor = b
        case 3: predictor = (a + b) / 2
        case 4:
          let p = a + b - c
          let pa = abs(p - a)
          let pb = abs(p - b)
          let pc = abs(p - c)
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
        default: throw Failure(description: "bad filter \(filter)")
        }
        line[x] = UInt8(truncatingIfNeeded: Int(value) + predictor)
      }
      for x in 0..<width {
        let p = x * channels
        pixels[y * width + x] = UInt32(line[p]) << 16 | UInt32(line[p + 1]) << 8 | UInt32(line[p + 2])
      }
      swap(&previous, &line)
    }
    return DecodedImage(width: width, height: height, pixels: pixels)
  }

  /// Inflate after puff.c: stored, fixed and dynamic Huffman blocks.
  static func inflate(_ input: [UInt8]) throws -> [UInt8] {
    var out: [UInt8] = []
    var position = 0
    var bitBuffer = 0
    var bitCount = 0
    func bits(_ n: Int) throws -> Int {
      while bitCount < n {
        guard position < input.count else { throw Failure(description: "inflate: out of input") }
        bitBuffer |= Int(input[position]) << bitCount
        position += 1
        bitCount += 8
      }
      let value = bitBuffer & ((1 << n) - 1)
      bitBuffer >>= n
      bitCount -= n
      return value
    }
    struct Huffman {
      var counts = [Int](repeating: 0, count: 16)
      var symbols: [Int] = []
    }
    func build(_ lengths: [Int]) -> Huffman {
      var h = Huffman()
      for l in lengths { h.counts[l] += 1 }
      h.counts[0] = 0
      var offsets = [Int](repeating: 0, count: 16)
      for l in 1..<16 { offsets[l] = offsets[l - 1] + h.counts[l - 1] }
      offsets[0] = 0
      var next = offsets
      h.symbols = [Int](repeating: 0, count: lengths.count)
      for (symbol, l) in lengths.enumerated() where l != 0 {
        h.symbols[next[l]] = symbol
        next[l] += 1
      }
      return h
    }
    func decodeSymbol(_ h: Huffman) throws -> Int {
      var code = 0
      var first = 0
      var index = 0
      for l in 1..<16 {
        code |= try bits(1)
        let count = h.counts[l]
        if code - count < first { return h.symbols[index + (code - first)] }
        index += count
        first += count
        first <<= 1
        code <<= 1
      }
      throw Failure(description: "inflate: bad code")
    }
    let lengthBase = [
      3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
    ]
    let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    let distBase = [
      1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
      4097, 6145, 8193, 12289, 16385, 24577,
    ]
    let distExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    var last = 0
    repeat {
      last = try bits(1)
      let type = try bits(2)
      if type == 0 {
        bitBuffer = 0
        bitCount = 0
        guard position + 4 <= input.count else { throw Failure(description: "inflate: short stored block") }
        let length = Int(input[position]) | Int(input[position + 1]) << 8
        position += 4
        out += input[position..<position + length]
        position += length
        continue
      }
      var literal: Huffman
      var distance: Huffman
      if type == 1 {
        literal = build((0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })
        distance = build([Int](repeating: 5, count: 30))
      } else if type == 2 {
        let nlen = try bits(5) + 257
        let ndist = try bits(5) + 1
        let ncode = try bits(4) + 4
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [Int](repeating: 0, count: 19)
        for i in 0..<ncode { codeLengths[order[i]] = try bits(3) }
        let codeHuffman = build(codeLengths)
        var lengths: [Int] = []
        while lengths.count < nlen + ndist {
          let symbol = try decodeSymbol(codeHuffman)
          if symbol < 16 {
            lengths.append(symbol)
            continue
          }
          let (value, repeats) =
            symbol == 16
            ? (lengths.last ?? 0, 3 + (try bits(2)))
            : symbol == 17 ? (0, 3 + (try bits(3))) : (0, 11 + (try bits(7)))
          lengths += [Int](repeating: value, count: repeats)
        }
        literal = build(Array(lengths[0..<nlen]))
        distance = build(Array(lengths[nlen..<nlen + ndist]))
      } else {
        throw Failure(description: "inflate: bad block type")
      }
      while true {
        let symbol = try decodeSymbol(literal)
        if symbol < 256 {
          out.append(UInt8(symbol))
          continue
        }
        if symbol == 256 { break }
        let l = symbol - 257
        let length = lengthBase[l] + (try bits(lengthExtra[l]))
        let d = try decodeSymbol(distance)
        let back = distBase[d] + (try bits(distExtra[d]))
        guard back <= out.count else { throw Failure(description: "inflate: distance too far") }
        for _ in 0..<length { out.append(out[out.count - back]) }
      }
    } while last == 0
    return out
  }
}
